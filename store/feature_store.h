// The feature store: items, users, creators, counters and histories in
// RocksDB column families, as protobuf values. Every write is one atomic
// batch, durable (fsynced) before it returns unless the caller defers that
// to SyncWrites. Knows nothing of gRPC or FAISS.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "store/covisit.h"
#include "store/log_query.h"
#include "store/newest_items.h"
#include "store/recent_items_memo.h"
#include "store/records.pb.h"
#include "store/trend_bound.h"
#include "store/trending.h"
#include "zhongcao/v1/types.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace zhongcao::store {

template <typename Message>
class RowCache;

struct StoreOptions {
  std::filesystem::path dir;
  // Events kept per user for the seen filter and session signals; older
  // events fall off.
  int history_limit = 1000;
  // fsync every acknowledged write. Turn off only for offline bulk loads
  // that are re-run from scratch on failure.
  bool sync_writes = true;
  size_t block_cache_bytes = 128 << 20;
  // Parsed items (without embeddings) with their counters kept in memory
  // for ReadItems (0: none). Hot items are then read without RocksDB or
  // protobuf parsing.
  size_t item_cache_bytes = 320 << 20;
  // Trending decays with this time constant: an event counts exp(-age/tau)
  // of its weight (half after about 0.69 tau). Reopening with another value
  // discards the stored trends, which cannot be converted.
  int64_t trending_tau_ms = 6LL * 3600 * 1000;
  // Items kept in memory per region (and for all regions) for TopTrending;
  // a TopTrending limit above it gets at most this many.
  int trending_board_size = 500;
  // Regions with a trending board. Events naming further regions count
  // toward the global trend only, so a client cannot grow memory without
  // bound by inventing region names.
  int max_trending_regions = 1024;
  // Opens a point-in-time view for offline readers (index builds), beside a
  // server that may hold the directory open for writing. Writes fail; the
  // in-memory trending boards stay empty.
  bool read_only = false;
  // Co-visitation rows kept by RecordEvents (store/covisit.h): previous
  // items paired with each event (0 turns pairing off), the backward
  // weight, the time constant (a pair counts half after about 0.69 tau;
  // another value at reopen simply decays the stored rows by it), and the
  // neighbours kept per row.
  int covisit_window = 5;
  double covisit_backward = 0.25;
  int64_t covisit_tau_ms = 30LL * 24 * 3600 * 1000;
  int covisit_row_limit = 200;
  // Users whose newest items the pairing keeps in memory rather than
  // reading their histories (store/recent_items_memo.h); ~300 bytes each.
  size_t recent_items_users = 1 << 17;
  // RecordEvents keeps every event that names a request id in the outcome
  // log too (see ReadOutcomes), in the same durable batch.
  bool outcome_log = true;
};

// An item as the ranking stages see it. `item` is null when the id is
// unknown. Both point into the store's row cache, hence const; `counters`
// is never null in a record the store returns (all zero for an item
// without events).
struct ItemRecord {
  std::shared_ptr<const v1::Item> item;
  std::shared_ptr<const ItemCounters> counters;
};

struct UserRecord {
  std::optional<v1::User> user;  // empty for a user never upserted
  UserHistory history;
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

  // kDeferred: the batch is readable when the call returns but durable only
  // after a later SyncWrites, which the caller must await before it
  // acknowledges the write. A caller that orders its writes under its own
  // lock can then release the lock before the fsync, so that the next
  // batch's work overlaps it.
  enum class Durability { kSynced, kDeferred };

  // Inserts or replaces items with their by-time and by-creator keys and a
  // change-log entry each. Items must be valid (see service validation).
  absl::StatusOr<ItemWriteResult> UpsertItems(
      std::span<const v1::Item> items, Durability durability = Durability::kSynced);
  // Deletes items; ids that do not exist are skipped, not an error.
  absl::StatusOr<ItemWriteResult> DeleteItems(
      std::span<const std::string> ids, Durability durability = Durability::kSynced);
  // Makes every write made so far durable (a no-op without sync_writes).
  // A caller whose writes an fsync already under way or just done covered
  // returns without one of its own.
  absl::Status SyncWrites();
  absl::Status UpsertUsers(std::span<const v1::User> users);
  absl::Status UpsertCreators(std::span<const v1::Creator> creators);
  // Adds events to item counters, user histories, trends and co-visitation
  // rows. An event trends in its own region, else in its user's stored
  // region, and always in the trend of all regions (""). Trend boards
  // follow once the batch is durable. Co-visitation pairs each event with
  // its user's previous items (store/covisit.h), those read from the stored
  // history with one MultiGet and then the batch's own, in order; two
  // batches of one user written concurrently do not pair with each other.
  absl::Status RecordEvents(std::span<const v1::Event> events);

  // Flushes the memtables and compacts every column family to its last
  // level, folding merge operands into their rows. For the end of an
  // offline bulk load: a freshly loaded store otherwise serves from a large
  // write-ahead log and from merge operands that every read folds again.
  absl::Status CompactAll();

  // One MultiGet for a user's profile and history.
  absl::StatusOr<UserRecord> ReadUser(absl::string_view user_id) const;
  // Items and their counters, in the order of `ids`: from the row cache,
  // and one MultiGet for those it does not hold. The items come without
  // their embeddings: the ranking takes vectors from the index version it
  // serves (which an offline build may fill from a newer model than the
  // store's), and rows without them let the cache hold more items. An
  // item read here and upserted as it is would lose its embedding; writers
  // that keep it read with ReadItemsWithEmbeddings.
  absl::StatusOr<std::vector<ItemRecord>> ReadItems(
      std::span<const std::string> ids) const;
  // What WarmItemCache did: items read (into the cache or found there),
  // and the bytes the cache then held.
  struct CacheWarmth {
    int64_t items = 0;
    size_t bytes = 0;
  };
  // Reads the stored items into the item cache, those with the most events
  // first and then the rest in id order, until it first has to evict a row,
  // every item is in it, or `stop` turns true.
  // A feed's candidates spread over the whole catalog, so a new server's
  // cold cache sends most of them to RocksDB for minutes
  // (bench/results/2026-12-07-warm-cache.md). Fills as ReadItems does, so
  // a write during the scan is never overwritten by an older read.
  absl::StatusOr<CacheWarmth> WarmItemCache(const std::atomic<bool>& stop) const;
  // RocksDB's write stalls and backlog, and the item cache's fill, since
  // the store was opened: for operators (AdminService.GetStatus).
  struct Health {
    int64_t write_stops = 0;
    int64_t write_slowdowns = 0;
    int64_t write_stall_micros = 0;
    bool writes_stopped = false;
    int64_t pending_compaction_bytes = 0;
    int64_t memtable_bytes = 0;
    int64_t item_cache_bytes = 0;
    int64_t item_cache_capacity_bytes = 0;
    int64_t item_cache_evictions = 0;
    // Item rows looked up in the cache, and those it held.
    int64_t item_cache_lookups = 0;
    int64_t item_cache_hits = 0;
    // Followed creators' newest items asked for, and those answered by a
    // kept scan (NewestItemsOfCreators).
    int64_t creator_scan_asks = 0;
    int64_t creator_scan_kept = 0;
  };
  Health health() const;
  // Items with their embeddings, as stored: one MultiGet, never cached.
  // For rebuilding the index from the store.
  absl::StatusOr<std::vector<ItemRecord>> ReadItemsWithEmbeddings(
      std::span<const std::string> ids) const;
  // Creators in the order of `ids`, unknown ones left out: from the row
  // cache, and one MultiGet for those it does not hold.
  absl::StatusOr<std::vector<std::shared_ptr<const v1::Creator>>> ReadCreators(
      std::span<const std::string> ids) const;
  // Positions in `ids` of items that do not exist.
  absl::StatusOr<std::vector<size_t>> MissingItems(
      std::span<const std::string> ids) const;

  // The newest items created at or after `since_ms`, newest first.
  absl::StatusOr<std::vector<TimedItemId>> NewestItems(
      int limit, int64_t since_ms = std::numeric_limits<int64_t>::min()) const;
  // Each creator's newest `limit` items created at or after `since_ms`,
  // newest first: one list per creator, in the order of `creator_ids`.
  absl::StatusOr<std::vector<std::vector<TimedItemId>>> NewestItemsOfCreators(
      std::span<const absl::string_view> creator_ids, int64_t since_ms, int limit) const;

  // Items carrying `tag`, newest first.
  absl::StatusOr<std::vector<TimedItemId>> NewestItemsWithTag(absl::string_view tag,
                                                              int limit) const;

  // The items trending most in `region` ("" for all regions), best first,
  // with their engagement decayed to `now_ms`: each event's weight (click 1
  // ... purchase 6) times exp(-age / trending_tau_ms). At most
  // trending_board_size; an unknown region has none. Reads memory only.
  absl::StatusOr<std::vector<std::pair<std::string, double>>> TopTrending(
      absl::string_view region, int limit, int64_t now_ms) const;
  // The whole board of `region`, shared until it next changes; null for an
  // unknown region. Reads memory only.
  std::shared_ptr<const TrendSnapshot> TrendBoard(absl::string_view region) const;

  // The co-visitation rows of `item_ids`, in their order, decayed to
  // `now_ms`, neighbours best first; an empty row for an item without one.
  // Neighbours may name deleted items: readers drop them when hydrating.
  // One MultiGet.
  absl::StatusOr<std::vector<CovisitRow>> ReadCovisit(
      std::span<const std::string> item_ids, int64_t now_ms) const;

  // Calls `fn` for every item, in id order; stops at the first error.
  absl::Status ForEachItem(const std::function<absl::Status(const v1::Item&)>& fn) const;
  // Calls `fn` for every user profile, in id order; stops at the first error.
  absl::Status ForEachUser(const std::function<absl::Status(const v1::User&)>& fn) const;

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

  // The exposure log: served responses keyed by (logged_at_ms, request id).
  // Written through the WAL without fsync: a crash may lose the last
  // instant of a log, which is acceptable for a log, never a catalog write.
  absl::Status AppendExposures(std::span<const ExposureRow> rows);
  // Rows logged in [since_ms, until_ms), oldest first (see LogQuery).
  absl::StatusOr<LogPage<v1::Exposure>> ReadExposures(const LogQuery& query) const;
  // Events that named a request id, oldest first by the time recorded.
  absl::StatusOr<LogPage<v1::Outcome>> ReadOutcomes(const LogQuery& query) const;
  // Drops rows of both logs logged before `before_ms`, then the oldest rows
  // past `max_rows` in each (0: no cap; counting the rows costs a key scan).
  absl::Status PruneLogs(int64_t before_ms, int64_t max_rows);

  Counts counts() const;
  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  struct Handles;
  FeatureStore(StoreOptions options, std::unique_ptr<rocksdb::DB> db,
               std::unique_ptr<Handles> handles);
  absl::StatusOr<std::optional<std::string>> ReadMeta(absl::string_view key) const;
  absl::StatusOr<ItemWriteResult> WriteItemChanges(std::span<const v1::Item> upserts,
                                                   std::span<const std::string> deletes,
                                                   Durability durability);
  absl::Status OpenTrending();
  absl::Status BuildTagIndexIfMissing();
  // A row of the item cache: the item and its counters in one block.
  struct CachedItem;
  // ReadItems; `counted` false keeps the cache lookups out of health().
  absl::StatusOr<std::vector<ItemRecord>> ReadItems(std::span<const std::string> ids,
                                                    bool counted) const;
  // One MultiGet of the item and counter rows of `ids`, parsed.
  absl::StatusOr<std::vector<std::shared_ptr<CachedItem>>> MultiGetItems(
      std::span<const absl::string_view> ids, bool with_embeddings) const;
  // Stored regions of the users of events that carry no region.
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> UserRegions(
      std::span<const v1::Event> events) const;
  // The stored histories of the users of `events` that weigh something,
  // in the pairer; one MultiGet.
  absl::Status StartCovisitUsers(std::span<const v1::Event> events,
                                 CovisitPairer* pairer) const;
  // Reads the merged trend rows `keys` and offers them to the boards.
  absl::Status RefreshBoards(const std::vector<std::string>& keys);
  template <typename Message>
  absl::Status UpsertRows(std::span<const Message> rows, int family,
                          void (*count_new)(Counts*));

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Handles> handles_;
  // Items with their counters, invalidated after every write of either.
  std::unique_ptr<RowCache<CachedItem>> item_cache_;
  // Creators are few and on every feed: hundreds per request.
  static constexpr size_t kCreatorCacheBytes = 64 << 20;
  std::unique_ptr<RowCache<v1::Creator>> creator_cache_;
  // Each user's region, for the trending boards of events that carry none:
  // a batch of 1,000 events read ~1,000 user rows for it, 12% of
  // RecordEvents' CPU. Invalidated by user upserts.
  struct CachedRegion;
  static constexpr size_t kUserRegionCacheBytes = 16 << 20;
  std::unique_ptr<RowCache<CachedRegion>> user_region_cache_;
  // Filled by NewestItems, a const read; emptied by item writes.
  mutable NewestItemsMemo newest_items_;
  // Each creator's last scan by NewestItemsOfCreators, until one of the
  // creator's items is written: a feed reads up to 200 followed creators,
  // a RocksDB seek each.
  static constexpr size_t kCreatorScanCacheBytes = 32 << 20;
  std::unique_ptr<RowCache<NewestScan>> creator_scans_;
  // For health(): a kept scan that does not cover an ask is no hit.
  mutable std::atomic<int64_t> creator_scan_asks_{0};
  mutable std::atomic<int64_t> creator_scan_kept_{0};
  // Where co-visitation pairing starts for recently active users.
  RecentItemsMemo recent_items_;
  // Serialises catalog writes: each reads old rows to keep secondary keys,
  // counts and the change-log sequence exact. Events do not take it.
  mutable absl::Mutex write_mu_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(write_mu_) = 0;
  Counts counts_ ABSL_GUARDED_BY(write_mu_);
  // Deferred writes made so far, and how many of them an fsync has covered
  // (see SyncWrites).
  std::atomic<uint64_t> deferred_writes_{0};
  absl::Mutex sync_mu_;
  uint64_t synced_writes_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // Held shared by RecordEvents from reading merged trends to offering them,
  // and exclusively by DeleteItems from its write until it has taken the
  // items off the boards, so every refresh sees the delete whole or not at
  // all.
  mutable absl::Mutex board_refresh_mu_;
  // Guards only memory; never held across RocksDB I/O, so TopTrending never
  // waits for the disk.
  mutable absl::Mutex board_mu_ ABSL_ACQUIRED_AFTER(board_refresh_mu_);
  absl::flat_hash_map<std::string, TrendingBoard> boards_ ABSL_GUARDED_BY(board_mu_);
  // Bounds every trend row's value: RecordEvents adds its increments before
  // writing them, and reads back only rows that might change a board.
  TrendBound trend_bound_;
};

}  // namespace zhongcao::store
