#include "ranking/source_executor.h"

#include "ranking/stage_trace.h"

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

// Runs `task` and times it.
SourceExecutor::Outcome RunTimed(const SourceExecutor::Task& task) {
  const StageTimer timer;
  SourceExecutor::Outcome outcome;
  outcome.result = task();
  outcome.finished = true;
  outcome.micros = timer.micros();
  return outcome;
}

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
      if (std::chrono::steady_clock::now() >= deadline) break;
      outcomes[i] = RunTimed(tasks[i]);
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
        Outcome outcome = RunTimed(task);
        absl::MutexLock batch_lock(&batch->mu);
        batch->outcomes[i] = std::move(outcome);
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
