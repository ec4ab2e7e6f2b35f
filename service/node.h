// One zhongcao node: the feature store and the vector index over one data
// directory, kept in step. It is the single write path: every upsert, delete
// and event is validated, made durable in the store, then applied to the
// index, so a caller never sees one without the other.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/vector_index.h"
#include "service/validation.h"
#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::service {

struct NodeOptions {
  std::filesystem::path data_dir;  // holds store/ and index/
  index::IndexOptions index;
  int history_limit = 1000;  // events kept per user
  // Offline bulk loads may skip fsync; a served node never does.
  bool sync_writes = true;
  int snapshots_to_keep = 2;
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
  // the element and field, e.g. "items[2].embedding: ...".
  absl::Status UpsertItems(std::vector<v1::Item> items);
  absl::StatusOr<int> DeleteItems(std::span<const std::string> ids);
  absl::Status UpsertUsers(std::span<const v1::User> users);
  absl::Status UpsertCreators(std::span<const v1::Creator> creators);
  // Events must name existing items (NOT_FOUND otherwise).
  absl::Status RecordEvents(std::vector<v1::Event> events);

  // Folds the growing segment into a new main index segment.
  absl::Status BuildIndex();
  // Saves an index snapshot and trims the change log it covers.
  absl::Status SaveSnapshot();

  const store::FeatureStore& store() const { return *store_; }
  const index::VectorIndex& index() const { return *index_; }
  // User long-term vectors, for lookalike audiences. Rebuilt from the store
  // at open.
  const index::VectorIndex& user_index() const { return *user_index_; }
  const Limits& limits() const { return limits_; }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

 private:
  Node(NodeOptions options, std::unique_ptr<store::FeatureStore> store,
       std::unique_ptr<index::VectorIndex> index,
       std::unique_ptr<index::VectorIndex> user_index);

  NodeOptions options_;
  Limits limits_;
  std::unique_ptr<store::FeatureStore> store_;
  std::unique_ptr<index::VectorIndex> index_;
  std::unique_ptr<index::VectorIndex> user_index_;
  // Item (user) writes reach the store and the item (user) index in the
  // same order.
  absl::Mutex item_write_mu_;
  absl::Mutex user_write_mu_;
};

// The index's filter attributes of an item.
index::ItemAttributes IndexAttributesOf(const v1::Item& item);

}  // namespace zhongcao::service
