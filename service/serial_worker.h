// One background thread running tasks in order. Long operator calls (index
// loads and builds) run here rather than on gRPC's callback threads, which
// must stay free to serve requests.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace zhongcao::service {

class SerialWorker {
 public:
  // `on_start` runs first on the worker thread, e.g. to set its priority.
  explicit SerialWorker(void (*on_start)() = nullptr)
      : thread_([this, on_start] {
          if (on_start != nullptr) on_start();
          Run();
        }) {}
  // Runs the tasks already queued, then stops.
  ~SerialWorker() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

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
            +[](SerialWorker* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
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
  std::thread thread_;  // last: starts after the members it reads
};

}  // namespace zhongcao::service
