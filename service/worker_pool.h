// Background threads running posted tasks; with one thread, in order.
// Long operator calls (index loads and builds) run on a SerialWorker, and
// read calls on a pool, rather than on gRPC's callback threads, which must
// stay free to take calls in: a call that waits in our queue can be seen,
// timed and refused, one that waits in gRPC's cannot.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace zhongcao::service {

class WorkerPool {
 public:
  // `on_start` runs first on each thread, e.g. to set its priority.
  explicit WorkerPool(int threads, void (*on_start)() = nullptr) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.emplace_back([this, on_start] {
        if (on_start != nullptr) on_start();
        Run();
      });
    }
  }
  // Runs the tasks already queued, then stops.
  ~WorkerPool() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> task) {
    absl::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](WorkerPool* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return self->stopping_ || !self->tasks_.empty();
            },
            this));
        if (tasks_.empty()) return;  // stopping, nothing left
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: start after the members they read
};

// One thread: tasks run in the order posted.
class SerialWorker : public WorkerPool {
 public:
  explicit SerialWorker(void (*on_start)() = nullptr) : WorkerPool(1, on_start) {}
};

}  // namespace zhongcao::service
