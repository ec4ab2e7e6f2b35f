// The versions of the item index a node serves: opens the one named by
// CURRENT, loads new snapshots beside it, rolls back to the previous one,
// and folds the growing segment into a new main index in the background.
// Every switch replays the store's item changes past the new version's
// watermark and then swaps it in whole (see index/serving_index.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/serving_index.h"
#include "index/vector_index.h"
#include "store/feature_store.h"

namespace zhongcao::service {

struct IndexVersionsOptions {
  std::filesystem::path dir;  // holds vNNNNNN snapshots, CURRENT and PREVIOUS
  index::IndexOptions index;
  // Snapshots kept besides the serving and previous ones.
  int snapshots_to_keep = 2;
  // The growing segment is searched exactly, so its cost grows with it:
  // past this many vectors it is folded into a new main index. 0: never in
  // the background.
  int64_t compact_growing_at = 20000;
  // Removed vectors still in the main index slow graph search down; past
  // this share of all held vectors the main index is rebuilt without them.
  double compact_dead_fraction = 0.25;
  // OpenMP threads for a background build; the rest serve requests.
  int compaction_threads = 1;
};

// One index version as reported to operators.
struct VersionInfo {
  std::string name;   // snapshot directory, e.g. "v000004"
  std::string label;  // the version its builder gave it
  int64_t vectors = 0;
  int64_t growing = 0;
  uint64_t watermark = 0;  // of the snapshot on disk
  std::string factory;
  std::string origin;  // "rebuild", "open", "load", "rollback", "compaction"
  int64_t serving_since_ms = 0;
};

struct SwapReport {
  VersionInfo serving;
  std::optional<VersionInfo> previous;
  int64_t replayed_items = 0;  // item changes applied after the watermark
  int64_t millis = 0;
};

struct IndexVersionsStatus {
  VersionInfo serving;
  std::optional<VersionInfo> previous;
  int64_t compactions = 0;
  bool compacting = false;
  std::string last_compaction_error;
};

class IndexVersions {
 public:
  // Loads the snapshot CURRENT names and replays later item changes; with
  // no usable snapshot, rebuilds from the store and saves it. `write_mu` is
  // the lock item writers hold from the store write to Apply.
  static absl::StatusOr<std::unique_ptr<IndexVersions>> Open(
      store::FeatureStore& store, absl::Mutex& write_mu, IndexVersionsOptions options);
  ~IndexVersions();

  std::shared_ptr<const index::IndexVersion> Current() const {
    return serving_.Current();
  }
  const index::ServingIndex& serving() const { return serving_; }

  // Applies item changes durable in the store up to `sequence`.
  absl::Status Apply(std::span<const index::IndexChange> changes, uint64_t sequence);

  // Copies the snapshot at `path` (or names a local one, e.g. "v000002")
  // into the index directory, verifies it (checksums, dimension, metric,
  // watermark within this node's change log), replays later changes and
  // serves it. On any error the serving version is untouched.
  absl::StatusOr<SwapReport> Load(const std::filesystem::path& path);
  // Serves the previous version again; the replaced one becomes previous.
  absl::StatusOr<SwapReport> Rollback();
  // Builds a new main index from the serving one's live vectors, off the
  // serving path, saves it and serves it.
  absl::StatusOr<SwapReport> Compact();
  // Saves the serving state as a new snapshot and makes it CURRENT, so a
  // restart replays nothing. Item writes wait while it is written.
  absl::Status SaveSnapshot();

  // Compacts in the background when the thresholds are passed.
  void StartCompactor();
  IndexVersionsStatus Status() const;

 private:
  IndexVersions(store::FeatureStore& store, absl::Mutex& write_mu,
                IndexVersionsOptions options,
                std::shared_ptr<const index::IndexVersion> initial);

  absl::StatusOr<SwapReport> CatchUpAndSwap(std::shared_ptr<index::VectorIndex> next,
                                            const std::string& name,
                                            const std::string& origin,
                                            std::chrono::steady_clock::time_point start)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(swap_mu_);
  // Writes CURRENT and PREVIOUS, trims the change log both still need and
  // removes snapshots no longer named.
  absl::Status RecordVersions() ABSL_EXCLUSIVE_LOCKS_REQUIRED(swap_mu_);
  std::string NextName() const;
  // Makes the store durable through every change the index has applied.
  absl::Status SyncBeforeSnapshot();
  VersionInfo InfoOf(const index::IndexVersion& version) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(info_mu_);
  std::optional<VersionInfo> PreviousInfo() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(info_mu_);
  std::string PreviousName() const ABSL_LOCKS_EXCLUDED(info_mu_);
  bool NeedsCompaction() const;
  void CompactorLoop();

  store::FeatureStore& store_;
  absl::Mutex& write_mu_;
  const IndexVersionsOptions options_;
  index::ServingIndex serving_;

  // Serialises version changes, which may take minutes. Taken before
  // write_mu_, never after.
  absl::Mutex swap_mu_;
  // What status reports, so that it never waits for a build.
  mutable absl::Mutex info_mu_;
  std::string origin_ ABSL_GUARDED_BY(info_mu_);
  int64_t serving_since_ms_ ABSL_GUARDED_BY(info_mu_) = 0;
  std::string previous_ ABSL_GUARDED_BY(info_mu_);  // "" when none

  mutable absl::Mutex compactor_mu_;
  bool wake_ ABSL_GUARDED_BY(compactor_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(compactor_mu_) = false;
  bool compacting_ ABSL_GUARDED_BY(compactor_mu_) = false;
  int64_t compactions_ ABSL_GUARDED_BY(compactor_mu_) = 0;
  std::string last_compaction_error_ ABSL_GUARDED_BY(compactor_mu_);
  std::thread compactor_;
};

}  // namespace zhongcao::service
