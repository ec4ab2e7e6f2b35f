#include "tools/loadgen/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "tools/loadgen/schedule.h"
#include "zhongcao/v1/ingest.grpc.pb.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// One request in flight: owns what gRPC writes into until the completion
// queue hands the call back.
struct Call {
  virtual ~Call() = default;
  CallType type = CallType::kGetFeed;
  int64_t start_ns = 0;
  int64_t send_lag_ns = 0;
  grpc::ClientContext context;
  grpc::Status status;
};

template <typename Response>
struct TypedCall : Call {
  Response response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
};

template <typename Stub, typename Request, typename Response>
using PrepareFn = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*)(
    grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

class Engine {
 public:
  Engine(const LoadOptions& options, const RequestMix& mix, const RequestFactory& factory,
         const std::vector<std::shared_ptr<grpc::Channel>>& channels)
      : options_(options),
        mix_(mix),
        factory_(factory),
        concurrency_(EffectiveConcurrency(options)),
        total_ns_(absl::ToInt64Nanoseconds(options.warmup + options.duration)) {
    for (const auto& channel : channels) {
      stubs_.push_back(v1::RecommendService::NewStub(channel));
      ingest_stubs_.push_back(v1::IngestService::NewStub(channel));
    }
    for (int q = 0; q < options.client_threads; ++q) {
      queues_.push_back(std::make_unique<grpc::CompletionQueue>());
      // Each poller has its own generator for the closed loop's follow-up
      // requests, which it sends; seeded apart from the main thread's.
      poller_rngs_.emplace_back(options.seed * 1000003 + static_cast<uint64_t>(q) + 1);
    }
    poller_records_.resize(queues_.size());
  }

  RunResult Run() {
    std::vector<std::thread> pollers;
    for (size_t q = 0; q < queues_.size(); ++q) {
      pollers.emplace_back([this, q] { Poll(q); });
    }
    std::mt19937_64 rng(options_.seed);
    start_ = Clock::now();
    if (options_.mode == LoopMode::kOpen) {
      RunOpenLoop(rng);
    } else {
      RunClosedLoop(rng);
    }
    {
      // Every call ends by its deadline, so this wait is bounded.
      std::unique_lock lock(mu_);
      drained_.wait(lock, [this] { return in_flight_.load() == 0; });
    }
    const int64_t wall_ns = NowNs();
    for (auto& queue : queues_) queue->Shutdown();
    for (auto& poller : pollers) poller.join();

    RunResult result;
    result.concurrency = concurrency_;
    result.wall_seconds = static_cast<double>(wall_ns) / 1e9;
    result.records = std::move(main_records_);
    for (auto& records : poller_records_) {
      result.records.insert(result.records.end(), records.begin(), records.end());
    }
    return result;
  }

 private:
  int64_t NowNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_)
        .count();
  }

  void RunOpenLoop(std::mt19937_64& rng) {
    const OpenLoopSchedule schedule(options_.rate);
    const int64_t count = schedule.CountWithin(total_ns_);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t due_ns = schedule.OffsetNs(i);
      // When behind (a stalled thread), the next sends go at once: their
      // latency counts from when they were due, so the stall is measured.
      std::this_thread::sleep_until(start_ + std::chrono::nanoseconds(due_ns));
      const CallType type = mix_.Pick(rng);
      if (in_flight_.load() >= concurrency_) {
        main_records_.push_back({due_ns, 0, 0, kDroppedCode, type});
        continue;
      }
      Send(type, due_ns, static_cast<size_t>(i) % queues_.size(), rng);
    }
  }

  void RunClosedLoop(std::mt19937_64& rng) {
    for (int slot = 0; slot < concurrency_; ++slot) {
      Send(mix_.Pick(rng), NowNs(), static_cast<size_t>(slot) % queues_.size(), rng);
    }
    // The pollers keep each caller going until the end.
    std::this_thread::sleep_until(start_ + std::chrono::nanoseconds(total_ns_));
  }

  // Sends a request of `type`, due at `due_ns` (in a closed loop: when its
  // caller decided to send it), whose completion `queue` will poll.
  void Send(CallType type, int64_t due_ns, size_t queue, std::mt19937_64& rng) {
    switch (type) {
      case CallType::kGetFeed:
        Start(&v1::RecommendService::Stub::PrepareAsyncGetFeed, factory_.Feed(rng), type,
              due_ns, queue);
        return;
      case CallType::kRankProducts:
        Start(&v1::RecommendService::Stub::PrepareAsyncRankProducts, factory_.Rank(rng),
              type, due_ns, queue);
        return;
      case CallType::kGetRelated:
        Start(&v1::RecommendService::Stub::PrepareAsyncGetRelated, factory_.Related(rng),
              type, due_ns, queue);
        return;
      case CallType::kFindLookalikes:
        Start(&v1::RecommendService::Stub::PrepareAsyncFindLookalikes,
              factory_.Lookalikes(rng), type, due_ns, queue);
        return;
      case CallType::kUpsertItems:
        Start(&v1::IngestService::Stub::PrepareAsyncUpsertItems, factory_.Upsert(rng),
              type, due_ns, queue);
        return;
      case CallType::kRecordEvents:
        Start(&v1::IngestService::Stub::PrepareAsyncRecordEvents, factory_.Events(rng),
              type, due_ns, queue);
        return;
    }
  }

  template <typename Stub>
  Stub& NextStub(const std::vector<std::unique_ptr<Stub>>& stubs) {
    return *stubs[next_stub_.fetch_add(1, std::memory_order_relaxed) % stubs.size()];
  }

  // Requests are built after their due time is taken, so the client's cost
  // of making a batch of 1000 items shows in the send lag and latency
  // rather than hiding.
  template <typename Stub, typename Request, typename Response>
  void Start(PrepareFn<Stub, Request, Response> prepare, const Request& request,
             CallType type, int64_t due_ns, size_t queue) {
    auto* call = new TypedCall<Response>;  // owned by the queue until Poll
    call->type = type;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(options_.deadline));
    Stub* stub;
    if constexpr (std::is_same_v<Stub, v1::IngestService::Stub>) {
      stub = &NextStub(ingest_stubs_);
    } else {
      stub = &NextStub(stubs_);
    }
    call->reader = (stub->*prepare)(&call->context, request, queues_[queue].get());
    const int64_t sent_ns = NowNs();
    call->start_ns = due_ns;
    call->send_lag_ns = sent_ns - due_ns;
    in_flight_.fetch_add(1);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, static_cast<Call*>(call));
  }

  void Poll(size_t queue) {
    void* tag = nullptr;
    bool ok = false;
    while (queues_[queue]->Next(&tag, &ok)) {
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      const int64_t now_ns = NowNs();
      poller_records_[queue].push_back(
          {call->start_ns, now_ns - call->start_ns, call->send_lag_ns,
           static_cast<int>(call->status.error_code()), call->type});
      // The closed loop's caller sends its next request before this one
      // leaves the in-flight count, so the count reaches 0 only at the end.
      if (options_.mode == LoopMode::kClosed && now_ns < total_ns_) {
        // Due at now_ns, which is inside the run, so the request is counted.
        Send(mix_.Pick(poller_rngs_[queue]), now_ns, queue, poller_rngs_[queue]);
      }
      if (in_flight_.fetch_sub(1) == 1) {
        std::lock_guard lock(mu_);
        drained_.notify_all();
      }
    }
  }

  const LoadOptions& options_;
  const RequestMix& mix_;
  const RequestFactory& factory_;
  const int concurrency_;
  const int64_t total_ns_;
  std::vector<std::unique_ptr<v1::RecommendService::Stub>> stubs_;
  std::vector<std::unique_ptr<v1::IngestService::Stub>> ingest_stubs_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::mt19937_64> poller_rngs_;
  std::vector<std::vector<CallRecord>> poller_records_;  // each written by its poller
  std::vector<CallRecord> main_records_;                 // dropped, by the scheduler
  std::atomic<uint64_t> next_stub_{0};
  std::atomic<int> in_flight_{0};
  std::mutex mu_;
  std::condition_variable drained_;
  Clock::time_point start_;
};

}  // namespace

absl::StatusOr<LoopMode> ParseLoopMode(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "open")) return LoopMode::kOpen;
  if (absl::EqualsIgnoreCase(name, "closed")) return LoopMode::kClosed;
  return absl::InvalidArgumentError(
      absl::StrCat("mode: must be open or closed, got \"", name, "\""));
}

const char* LoopModeName(LoopMode mode) {
  return mode == LoopMode::kOpen ? "open" : "closed";
}

absl::Status ValidateLoadOptions(const LoadOptions& options) {
  if (options.mode == LoopMode::kOpen &&
      !(std::isfinite(options.rate) && options.rate > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate: must be a positive number, got ", options.rate));
  }
  if (options.concurrency < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency: must be >= 0, got ", options.concurrency));
  }
  if (options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration: must be positive");
  }
  if (options.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("warmup: must not be negative");
  }
  if (options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("deadline: must be positive");
  }
  if (options.client_threads < 1 || options.client_threads > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client_threads: must be within 1..64, got ", options.client_threads));
  }
  return absl::OkStatus();
}

int EffectiveConcurrency(const LoadOptions& options) {
  if (options.concurrency > 0) return options.concurrency;
  if (options.mode == LoopMode::kClosed) return 16;
  const double in_flight_at_deadline =
      options.rate * absl::ToDoubleSeconds(options.deadline);
  return static_cast<int>(std::clamp(std::ceil(2 * in_flight_at_deadline), 64.0, 1e6));
}

absl::StatusOr<RunResult> RunLoad(
    const LoadOptions& options, const RequestMix& mix, const RequestFactory& factory,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  if (absl::Status status = ValidateLoadOptions(options); !status.ok()) return status;
  if (channels.empty()) return absl::InvalidArgumentError("no channels");
  for (size_t c = 0; c < channels.size(); ++c) {
    if (!channels[c]->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::seconds(10))) {
      return absl::UnavailableError(
          absl::StrCat("channel ", c, ": not connected after 10 s"));
    }
  }
  Engine engine(options, mix, factory, channels);
  return engine.Run();
}

}  // namespace zhongcao::loadgen
