// Runs a request's candidate sources concurrently on a small fixed pool and
// waits for them until the request's source deadline. A source still
// running then is abandoned for this response (its result is discarded when
// it ends), so one slow source never holds up a feed. With no pool, the
// caller runs them one after another instead, and leaves out those not
// started by the deadline.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ranking/candidate.h"

namespace zhongcao::ranking {

class SourceExecutor {
 public:
  using Task = std::function<absl::StatusOr<std::vector<Candidate>>()>;
  struct Outcome {
    bool finished = false;  // false: still running at the deadline
    absl::StatusOr<std::vector<Candidate>> result = std::vector<Candidate>();
    int64_t micros = 0;
  };

  // `threads` <= 0: no pool; RunAll runs the tasks on the calling thread.
  // On a machine with few cores and many requests in flight, a request
  // then keeps its core from start to end instead of sharing the cores
  // with every other request's sources, which keeps tail latency close to
  // the work of one request.
  explicit SourceExecutor(int threads);
  // Finishes queued tasks, then joins the workers.
  ~SourceExecutor();

  // Runs `tasks` and returns their outcomes in order once all have finished
  // or `deadline` has passed. Tasks must own (share) whatever they read:
  // an abandoned task outlives this call.
  std::vector<Outcome> RunAll(std::vector<Task> tasks,
                              std::chrono::steady_clock::time_point deadline);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace zhongcao::ranking
