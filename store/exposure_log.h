// Writes served responses to the feature store's exposure log off the
// request path: Append queues, a background thread writes batches and
// prunes the log to its retention. Queued entries are lost in a crash (at
// most about one flush interval of them); a full queue drops new entries
// and counts them rather than slowing requests down.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "store/feature_store.h"
#include "store/records.pb.h"

namespace zhongcao::store {

struct ExposureLogOptions {
  // Rows of the exposure and outcome logs older than this are pruned.
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // And beyond this many rows per log, the oldest (0: no cap). Checking
  // the cap counts the rows, once per prune_interval.
  int64_t max_rows = 1'000'000;
  // Responses waiting to be written; past it, new ones are dropped.
  size_t queue_limit = 20000;
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds prune_interval{std::chrono::minutes(10)};
};

class ExposureLog {
 public:
  // `store` must outlive the log. Prunes once at start, in the background.
  ExposureLog(FeatureStore* store, ExposureLogOptions options);
  // Writes what is queued, then stops.
  ~ExposureLog();
  ExposureLog(const ExposureLog&) = delete;
  ExposureLog& operator=(const ExposureLog&) = delete;

  // Queues one response; never waits for I/O.
  void Append(ExposureRow exposure);
  // Returns once everything appended before the call has been written, or
  // its write has failed; the status of the latest write.
  absl::Status Flush();
  // Prunes now, against the server clock `now_ms`.
  absl::Status PruneNow(int64_t now_ms);

  int64_t dropped() const;
  int64_t written() const;

 private:
  void Run();

  FeatureStore* store_;
  const ExposureLogOptions options_;
  mutable absl::Mutex mu_;
  std::vector<ExposureRow> queue_ ABSL_GUARDED_BY(mu_);
  int64_t appended_ ABSL_GUARDED_BY(mu_) = 0;  // entries ever queued
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;      // of those, written or failed
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool flush_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: it uses everything above
};

}  // namespace zhongcao::store
