// The feature store: items, users, creators, counters and histories in
// RocksDB column families, as protobuf values. Every write is one atomic
// batch, durable (fsynced) before it returns. Knows nothing of gRPC or FAISS.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "store/records.pb.h"
#include "zhongcao/v1/types.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace zhongcao::store {

struct StoreOptions {
  std::filesystem::path dir;
  // Events kept per user for the seen filter and session signals; older
  // events fall off.
  int history_limit = 1000;
  // fsync every acknowledged write. Turn off only for offline bulk loads
  // that are re-run from scratch on failure.
  bool sync_writes = true;
  size_t block_cache_bytes = 256 << 20;
};

// An item as the ranking stages see it. `item` is empty when the id is unknown.
struct ItemRecord {
  std::optional<v1::Item> item;
  ItemCounters counters;
};

struct UserRecord {
  std::optional<v1::User> user;  // empty for a user never upserted
  UserHistory history;
};

struct TimedItemId {
  std::string item_id;
  int64_t created_at_ms = 0;
};

// What an item write did, for the index to follow in the same order.
struct ItemWriteResult {
  uint64_t sequence = 0;  // change-log sequence of the batch's last change
  int changed = 0;        // items upserted, or items that existed and were deleted
};

class FeatureStore {
 public:
  // Opens or creates the store in options.dir.
  static absl::StatusOr<std::unique_ptr<FeatureStore>> Open(const StoreOptions& options);
  ~FeatureStore();
  FeatureStore(const FeatureStore&) = delete;
  FeatureStore& operator=(const FeatureStore&) = delete;

  // Inserts or replaces items with their by-time and by-creator keys and a
  // change-log entry each. Items must be valid (see service validation).
  absl::StatusOr<ItemWriteResult> UpsertItems(std::span<const v1::Item> items);
  // Deletes items; ids that do not exist are skipped, not an error.
  absl::StatusOr<ItemWriteResult> DeleteItems(std::span<const std::string> ids);
  absl::Status UpsertUsers(std::span<const v1::User> users);
  absl::Status UpsertCreators(std::span<const v1::Creator> creators);
  // Adds events to item counters and user histories.
  absl::Status RecordEvents(std::span<const v1::Event> events);

  // One MultiGet for a user's profile and history.
  absl::StatusOr<UserRecord> ReadUser(absl::string_view user_id) const;
  // One MultiGet for items and their counters, in the order of `ids`.
  absl::StatusOr<std::vector<ItemRecord>> ReadItems(
      std::span<const std::string> ids) const;
  // One MultiGet; unknown creators are absent from the result.
  absl::StatusOr<std::vector<v1::Creator>> ReadCreators(
      std::span<const std::string> ids) const;
  // Positions in `ids` of items that do not exist.
  absl::StatusOr<std::vector<size_t>> MissingItems(
      std::span<const std::string> ids) const;

  // The newest items, newest first.
  absl::StatusOr<std::vector<TimedItemId>> NewestItems(int limit) const;
  // A creator's items created at or after `since_ms`, newest first.
  absl::StatusOr<std::vector<TimedItemId>> NewestItemsOfCreator(
      absl::string_view creator_id, int64_t since_ms, int limit) const;

  // Calls `fn` for every item, in id order; stops at the first error.
  absl::Status ForEachItem(const std::function<absl::Status(const v1::Item&)>& fn) const;

  // Item ids changed after change-log sequence `after`, each once, in the
  // order of their last change.
  absl::StatusOr<std::vector<std::string>> ItemsChangedAfter(uint64_t after) const;
  // Drops change-log entries up to and including `through`.
  absl::Status TrimChangesThrough(uint64_t through);
  uint64_t LastSequence() const;

  // Small settings kept with the data, e.g. the embedding dimension. Kept
  // apart from the store's own bookkeeping, which they cannot overwrite.
  absl::StatusOr<std::optional<std::string>> GetMeta(absl::string_view key) const;
  absl::Status PutMeta(absl::string_view key, absl::string_view value);

  Counts counts() const;
  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  struct Handles;
  FeatureStore(StoreOptions options, std::unique_ptr<rocksdb::DB> db,
               std::unique_ptr<Handles> handles);
  absl::StatusOr<std::optional<std::string>> ReadMeta(absl::string_view key) const;
  absl::StatusOr<ItemWriteResult> WriteItemChanges(std::span<const v1::Item> upserts,
                                                   std::span<const std::string> deletes);
  template <typename Message>
  absl::Status UpsertRows(std::span<const Message> rows, int family,
                          void (*count_new)(Counts*));

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Handles> handles_;
  // Serialises catalog writes: each reads old rows to keep secondary keys,
  // counts and the change-log sequence exact. Events do not take it.
  mutable absl::Mutex write_mu_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(write_mu_) = 0;
  Counts counts_ ABSL_GUARDED_BY(write_mu_);
};

}  // namespace zhongcao::store
