#include "ranking/source_executor.h"

namespace zhongcao::ranking {
namespace {

// What one RunAll call shares with its tasks; tasks keep it alive.
struct Batch {
  absl::Mutex mu;
  std::vector<SourceExecutor::Outcome> outcomes ABSL_GUARDED_BY(mu);
  size_t remaining ABSL_GUARDED_BY(mu) = 0;
  // Set when the request stopped waiting: tasks not started by then are
  // skipped, so work nobody waits for does not queue up under load.
  bool abandoned ABSL_GUARDED_BY(mu) = false;
};

}  // namespace

SourceExecutor::SourceExecutor(int threads) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

SourceExecutor::~SourceExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void SourceExecutor::Work() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SourceExecutor* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

std::vector<SourceExecutor::Outcome> SourceExecutor::RunAll(
    std::vector<Task> tasks, std::chrono::steady_clock::time_point deadline) {
  if (workers_.empty()) {
    // A source already running cannot be abandoned here, so the deadline
    // decides only which ones start.
    std::vector<Outcome> outcomes(tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      if (start >= deadline) break;
      outcomes[i].result = tasks[i]();
      outcomes[i].finished = true;
      outcomes[i].micros = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    }
    return outcomes;
  }
  auto batch = std::make_shared<Batch>();
  {
    absl::MutexLock lock(&batch->mu);
    batch->outcomes.resize(tasks.size());
    batch->remaining = tasks.size();
  }
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < tasks.size(); ++i) {
      queue_.push_back([batch, i, task = std::move(tasks[i])] {
        {
          absl::MutexLock batch_lock(&batch->mu);
          if (batch->abandoned) return;
        }
        const auto start = std::chrono::steady_clock::now();
        absl::StatusOr<std::vector<Candidate>> result = task();
        const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
        absl::MutexLock batch_lock(&batch->mu);
        Outcome& outcome = batch->outcomes[i];
        outcome.finished = true;
        outcome.result = std::move(result);
        outcome.micros = micros;
        --batch->remaining;
      });
    }
  }
  absl::MutexLock lock(&batch->mu);
  const absl::Time absl_deadline =
      absl::Now() + absl::FromChrono(deadline - std::chrono::steady_clock::now());
  batch->mu.AwaitWithDeadline(absl::Condition(
                                  +[](Batch* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu) {
                                    return b->remaining == 0;
                                  },
                                  batch.get()),
                              absl_deadline);
  batch->abandoned = true;
  // Outcomes of tasks still running stay unfinished: copy what is done.
  std::vector<Outcome> outcomes;
  outcomes.reserve(batch->outcomes.size());
  for (Outcome& outcome : batch->outcomes) {
    outcomes.push_back(outcome.finished ? std::move(outcome) : Outcome{});
  }
  return outcomes;
}

}  // namespace zhongcao::ranking
