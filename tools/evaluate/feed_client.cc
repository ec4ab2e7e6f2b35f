#include "tools/evaluate/feed_client.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao::evaluate {

absl::StatusOr<std::vector<FeedAnswer>> FetchFeeds(
    const FeedClientOptions& options, std::span<const FeedRequestPlan> plans) {
  std::vector<FeedAnswer> answers(plans.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first_error;
  const auto channel =
      grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());

  auto work = [&] {
    auto stub = v1::RecommendService::NewStub(channel);
    for (size_t i = next++; i < plans.size() && !failed; i = next++) {
      v1::GetFeedRequest request;
      request.set_user_id(plans[i].user_id);
      request.set_count(options.count);
      request.mutable_context()->set_now_ms(plans[i].now_ms);
      for (const auto& [experiment, arm] : options.force_arms) {
        (*request.mutable_force_arms())[experiment] = arm;
      }
      v1::GetFeedResponse response;
      grpc::Status status;
      for (int attempt = 0; attempt <= options.retries; ++attempt) {
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + options.deadline));
        response.Clear();
        status = stub->GetFeed(&context, request, &response);
        if (status.ok() || (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
                            status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED)) {
          break;
        }
      }
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) {
          first_error = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                     absl::StrCat("GetFeed for user ", plans[i].user_id,
                                                  ": ", status.error_message()));
        }
        failed = true;
        return;
      }
      FeedAnswer& answer = answers[i];
      for (const v1::ScoredItem& item : response.items()) {
        answer.item_ids.push_back(item.item_id());
      }
      for (const v1::ArmAssignment& arm : response.arms()) {
        if (arm.interleaved()) {
          answer.interleaved_experiment = arm.experiment();
        } else {
          answer.arms.push_back(absl::StrCat(arm.experiment(), "/", arm.arm()));
        }
      }
      answer.request_id = response.request_id();
      answer.degraded = response.degraded_sources_size() > 0;
      const size_t n = ++done;
      if (options.progress && n % 1000 == 0) {
        std::lock_guard<std::mutex> lock(mu);
        options.progress(n);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(options.threads, 1); ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  return answers;
}

}  // namespace zhongcao::evaluate
