// One zhongcao node: the feature store and the vector index over one data
// directory, kept in step. It is the single write path: every upsert, delete
// and event is validated, made durable in the store, then applied to the
// index, so a caller never sees one without the other.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/vector_index.h"
#include "service/index_versions.h"
#include "service/item_changes.h"
#include "service/validation.h"
#include "store/exposure_log.h"
#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::service {

struct NodeOptions {
  std::filesystem::path data_dir;  // holds store/ and index/
  index::IndexOptions index;
  int history_limit = 1000;  // events kept per user
  // Co-visitation rows kept from events (see store::StoreOptions).
  int covisit_window = 5;
  double covisit_backward = 0.25;
  double covisit_tau_days = 30;
  int covisit_row_limit = 200;
  // Trending's time constant (see store::StoreOptions::trending_tau_ms).
  double trending_tau_hours = 6;
  // Offline bulk loads may skip fsync; a served node never does.
  bool sync_writes = true;
  // Memory for parsed items with their counters, and for RocksDB's blocks
  // (see store::StoreOptions).
  size_t item_cache_bytes = store::StoreOptions().item_cache_bytes;
  size_t block_cache_bytes = store::StoreOptions().block_cache_bytes;
  // Reads the stored items into the item cache in the background after
  // opening (FeatureStore::WarmItemCache), for a server; offline loads
  // have no use for it.
  bool warm_item_cache = false;
  int snapshots_to_keep = 2;
  // Background compaction of the item index (see IndexVersionsOptions).
  int64_t compact_growing_at = 20000;  // 0: none
  double compact_dead_fraction = 0.25;
  int compaction_threads = 1;
  // The exposure log (served responses) and the outcome log (events that
  // name a request id), kept in the store for harnesses and training.
  bool exposure_log = true;
  store::ExposureLogOptions exposures;
};

// A replacement embedding for the item or user `id`.
struct EmbeddingUpdate {
  std::string id;
  std::vector<float> values;
};

class Node {
 public:
  // Opens or creates the data directory. Loads the newest valid index
  // snapshot and replays item changes made after it; with no usable
  // snapshot, rebuilds the index from the store. Refuses a data directory
  // created with another embedding dimension.
  static absl::StatusOr<std::unique_ptr<Node>> Open(const NodeOptions& options);
  ~Node();

  // Each call is all or nothing. Invalid input gets INVALID_ARGUMENT naming
  // the element and field, e.g. "items[2].embedding: ...". With
  // `validate_only` a call checks everything the write would and answers
  // the same, but writes nothing (a dry run for importers).
  absl::Status UpsertItems(std::vector<v1::Item> items, bool validate_only = false);
  // The number of items that existed and were (would be) deleted.
  absl::StatusOr<int> DeleteItems(std::span<const std::string> ids,
                                  bool validate_only = false);
  absl::Status UpsertUsers(std::span<const v1::User> users, bool validate_only = false);
  absl::Status UpsertCreators(std::span<const v1::Creator> creators,
                              bool validate_only = false);
  // Events must name existing items (NOT_FOUND otherwise). Every event's
  // fields are checked before any item's existence, so a NOT_FOUND for
  // events[i] means all events passed the field checks.
  absl::Status RecordEvents(std::vector<v1::Event> events, bool validate_only = false);

  // Replace the embeddings of existing items (NOT_FOUND naming
  // "embeddings[i].id" otherwise), or of users (an unknown user is created
  // with only its id and embedding), keeping every other field as stored.
  // Fields are checked for every update (ids, no repeats, dimension) before
  // existence, as in RecordEvents.
  absl::Status SetItemEmbeddings(std::span<const EmbeddingUpdate> updates,
                                 bool validate_only = false);
  absl::Status SetUserEmbeddings(std::span<const EmbeddingUpdate> updates,
                                 bool validate_only = false);

  // Makes every write so far durable: for offline loads through a node
  // opened with sync_writes=false.
  absl::Status Sync();

  // Compacts the feature store (FeatureStore::CompactAll): for the end of
  // an offline bulk load.
  absl::Status CompactStore() { return store_->CompactAll(); }

  // Folds the growing segment into a new main index, built beside the
  // serving one and swapped in.
  absl::Status BuildIndex() { return items_->Compact().status(); }
  // Saves an index snapshot and trims the change log it covers.
  absl::Status SaveSnapshot() { return items_->SaveSnapshot(); }
  // The item index versions: load, roll back, compact, status.
  IndexVersions& index_versions() { return *items_; }
  const IndexVersions& index_versions() const { return *items_; }

  const store::FeatureStore& store() const { return *store_; }
  // Null when the exposure log is off.
  store::ExposureLog* exposure_log() const { return exposure_log_.get(); }
  // The serving item index, pinned: a caller keeps searching this version
  // even if another is swapped in meanwhile.
  std::shared_ptr<index::VectorIndex> index() const { return items_->Current()->index; }
  // User long-term vectors, for lookalike audiences. Rebuilt from the store
  // at open.
  const index::VectorIndex& user_index() const { return *user_index_; }
  const Limits& limits() const { return limits_; }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

 private:
  Node(NodeOptions options, std::unique_ptr<store::FeatureStore> store,
       std::unique_ptr<index::VectorIndex> user_index);

  // Applies item changes, written to the store up to `sequence`, to the
  // serving index. Callers hold item_write_mu_; the store write may still
  // await its fsync (see AwaitItemWrite), and index snapshots sync first.
  absl::Status ApplyItemChanges(std::span<const index::IndexChange> changes,
                                uint64_t sequence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(item_write_mu_);
  // Waits, with item_write_mu_ released, for the fsync of the deferred item
  // writes made so far, so that the next batch's work overlaps it. Returns
  // `applied` (ApplyItemChanges's status) unless the fsync failed.
  absl::Status AwaitItemWrite(absl::Status applied) ABSL_LOCKS_EXCLUDED(item_write_mu_);
  // Fills the item cache after Open, on cache_warmer_, at low priority.
  void WarmItemCache();

  NodeOptions options_;
  Limits limits_;
  std::unique_ptr<store::FeatureStore> store_;
  std::unique_ptr<IndexVersions> items_;
  std::unique_ptr<index::VectorIndex> user_index_;
  // After store_, so it stops (writing what it holds) before the store.
  std::unique_ptr<store::ExposureLog> exposure_log_;
  // Set at destruction; stops the cache warmer, which is joined first.
  std::atomic<bool> stopping_{false};
  std::thread cache_warmer_;
  // Item (user) writes reach the store and the item (user) index in the
  // same order.
  absl::Mutex item_write_mu_;
  absl::Mutex user_write_mu_;
};

}  // namespace zhongcao::service
