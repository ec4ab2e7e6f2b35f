#include "store/exposure_log.h"

#include <utility>

#include "absl/time/time.h"

namespace zhongcao::store {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ExposureLog::ExposureLog(FeatureStore* store, ExposureLogOptions options)
    : store_(store), options_(options), thread_([this] { Run(); }) {}

ExposureLog::~ExposureLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ExposureLog::Append(ExposureRow exposure) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.queue_limit) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(exposure));
  ++appended_;
}

absl::Status ExposureLog::Flush() {
  absl::MutexLock lock(&mu_);
  const int64_t target = appended_;
  flush_wanted_ = true;
  auto done = [this, target]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ >= target; };
  mu_.Await(absl::Condition(&done));
  return last_error_;
}

absl::Status ExposureLog::PruneNow(int64_t now_ms) {
  return store_->PruneLogs(now_ms - options_.retention_ms, options_.max_rows);
}

int64_t ExposureLog::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

int64_t ExposureLog::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

void ExposureLog::Run() {
  auto next_prune = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<ExposureRow> batch;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || flush_wanted_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake),
                           absl::FromChrono(options_.flush_interval));
      flush_wanted_ = false;
      stop = stopping_;
      batch.swap(queue_);
    }
    if (!batch.empty()) {
      // Written outside the lock, so requests keep appending meanwhile.
      absl::Status s = store_->AppendExposures(batch);
      absl::MutexLock lock(&mu_);
      done_ += static_cast<int64_t>(batch.size());
      if (s.ok()) written_ += static_cast<int64_t>(batch.size());
      last_error_ = s;
    }
    if (stop) return;
    if (std::chrono::steady_clock::now() >= next_prune) {
      // A failed prune is retried at the next interval; the log only grows
      // a little meanwhile.
      PruneNow(WallMs()).IgnoreError();
      next_prune = std::chrono::steady_clock::now() + options_.prune_interval;
    }
  }
}

}  // namespace zhongcao::store
