#include "store/feature_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "store/exposure_row.h"
#include "store/keys.h"
#include "store/log_keys.h"
#include "store/merge_operators.h"
#include "store/row_cache.h"
#include "store/sort_at_flush_memtable.h"
#include "store/user_wire.h"

namespace zhongcao::store {
namespace {

// Column families, in the order of kFamilyNames.
enum Family {
  kMeta = 0,
  kItems,
  kUsers,
  kCreators,
  kCounters,
  kHistories,
  kItemsByTime,
  kItemsByCreator,
  kChangeLog,
  kTrending,
  kItemsByTag,
  kCovisit,
  kExposures,
  kOutcomes,
  kFamilyCount
};
const char* const kFamilyNames[kFamilyCount] = {rocksdb::kDefaultColumnFamilyName.c_str(),
                                                "items",
                                                "users",
                                                "creators",
                                                "counters",
                                                "histories",
                                                "items_by_time",
                                                "items_by_creator",
                                                "change_log",
                                                "trending",
                                                "items_by_tag",
                                                "covisit",
                                                "exposures",
                                                "outcomes"};

// The store's own keys in the meta family; callers' keys get a prefix, so
// PutMeta can never overwrite these.
constexpr char kCountsKey[] = "store/counts";
constexpr char kLastSequenceKey[] = "store/last_sequence";
constexpr char kCallerMetaPrefix[] = "caller/";
// The tau the stored trends were summed with; trends of another tau are
// meaningless (see StoreOptions::trending_tau_ms).
constexpr char kTrendingTauKey[] = "store/trending_tau_ms";
// Present once every item's tag keys exist (stores from before the tag
// index get them at their first open).
constexpr char kTagIndexBuiltKey[] = "store/tag_index_built";
// Rows per batch when a whole family is rewritten at open.
constexpr int kOpenBatchRows = 10000;

absl::Status ToStatus(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return absl::UnavailableError(message);
  }
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

template <typename Message>
absl::StatusOr<Message> Parse(const rocksdb::Slice& bytes, absl::string_view what) {
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("unparseable ", what));
  }
  return message;
}

void AddEventToCounters(const v1::Event& event, ItemCounters* c) {
  switch (event.type()) {
    case v1::EVENT_TYPE_IMPRESSION:
      c->set_impressions(c->impressions() + 1);
      break;
    case v1::EVENT_TYPE_CLICK:
      c->set_clicks(c->clicks() + 1);
      break;
    case v1::EVENT_TYPE_DWELL:
      c->set_dwells(c->dwells() + 1);
      c->set_dwell_ms(c->dwell_ms() +
                      static_cast<uint64_t>(std::max<int64_t>(0, event.dwell_ms())));
      break;
    case v1::EVENT_TYPE_LIKE:
      c->set_likes(c->likes() + 1);
      break;
    case v1::EVENT_TYPE_SAVE:
      c->set_saves(c->saves() + 1);
      break;
    case v1::EVENT_TYPE_SHARE:
      c->set_shares(c->shares() + 1);
      break;
    case v1::EVENT_TYPE_COMMENT:
      c->set_comments(c->comments() + 1);
      break;
    case v1::EVENT_TYPE_FOLLOW:
      c->set_follows(c->follows() + 1);
      break;
    case v1::EVENT_TYPE_ADD_TO_CART:
      c->set_add_to_carts(c->add_to_carts() + 1);
      break;
    case v1::EVENT_TYPE_PURCHASE:
      c->set_purchases(c->purchases() + 1);
      break;
    default:
      break;
  }
  c->set_last_event_ms(std::max(c->last_event_ms(), event.timestamp_ms()));
}

// Adds one merge per row of `rows` (key -> value) in key order. A memtable
// skiplist (the trend family's) keeps the last insert's position: keys in
// order find theirs from there, where keys in hash order search from the top
// each time (a third of RecordEvents' CPU at 1M items).
template <typename Rows, typename Encode>
void MergeInKeyOrder(const Rows& rows, rocksdb::ColumnFamilyHandle* family, Encode encode,
                     rocksdb::WriteBatch* batch) {
  std::vector<const typename Rows::value_type*> sorted;
  sorted.reserve(rows.size());
  for (const auto& row : rows) sorted.push_back(&row);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* row : sorted) batch->Merge(family, row->first, encode(row->second));
}

// The newest `limit` items at or after `since_ms` in a by-time secondary
// family, under `owner`'s keys (`prefix`, the owner's id and a separator):
// a creator's items, or a tag's.
absl::StatusOr<std::vector<TimedItemId>> ScanNewestOf(rocksdb::DB* db,
                                                      rocksdb::ColumnFamilyHandle* family,
                                                      absl::string_view owner,
                                                      const std::string& prefix,
                                                      int64_t since_ms, int limit) {
  std::vector<TimedItemId> out;
  rocksdb::ReadOptions read_options;
  const std::string upper = absl::StrCat(owner, absl::string_view("\1", 1));
  rocksdb::Slice upper_bound(upper);
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, family));
  for (it->Seek(prefix); it->Valid() && static_cast<int>(out.size()) < limit;
       it->Next()) {
    TimedId id = DecodeTimedId(absl::string_view(it->key().data(), it->key().size()),
                               prefix.size());
    if (id.created_at_ms < since_ms) break;  // newest first: the rest are older
    out.push_back({std::move(id.item_id), id.created_at_ms});
  }
  if (absl::Status s = ToStatus(it->status(), "scanning items by time"); !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace

struct FeatureStore::CachedRegion {
  std::string region;  // empty: none, or no such user

  size_t SpaceUsedLong() const { return sizeof(*this) + region.capacity(); }
};

struct FeatureStore::CachedItem {
  std::shared_ptr<const v1::Item> item;
  ItemCounters counters;

  // Memory held, for the row cache's budget.
  size_t SpaceUsedLong() const {
    return sizeof(*this) + (item ? item->SpaceUsedLong() : 0);
  }

  // A record pointing into this row. Both fields share the row's one
  // reference count, which the cache lookup has just brought into the
  // processor's cache; copying the counters cost ~3% of a feed's CPU.
  static ItemRecord Share(std::shared_ptr<const CachedItem> row) {
    ItemRecord record;
    record.counters = std::shared_ptr<const ItemCounters>(row, &row->counters);
    if (const v1::Item* item = row->item.get()) {
      record.item = std::shared_ptr<const v1::Item>(std::move(row), item);
    }
    return record;
  }
};

struct FeatureStore::Handles {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::ColumnFamilyHandle* operator[](int i) const { return families[i]; }
  ~Handles() {
    for (rocksdb::ColumnFamilyHandle* h : families) db->DestroyColumnFamilyHandle(h);
  }
};

FeatureStore::FeatureStore(StoreOptions options, std::unique_ptr<rocksdb::DB> db,
                           std::unique_ptr<Handles> handles)
    : options_(std::move(options)),
      db_(std::move(db)),
      handles_(std::move(handles)),
      item_cache_(std::make_unique<RowCache<CachedItem>>(options_.item_cache_bytes)),
      creator_cache_(std::make_unique<RowCache<v1::Creator>>(kCreatorCacheBytes)),
      user_region_cache_(std::make_unique<RowCache<CachedRegion>>(kUserRegionCacheBytes)),
      creator_scans_(std::make_unique<RowCache<NewestScan>>(kCreatorScanCacheBytes)),
      recent_items_(options_.recent_items_users,
                    static_cast<size_t>(std::max(options_.covisit_window, 0)) + 1) {}

FeatureStore::~FeatureStore() {
  handles_.reset();  // column family handles go before the DB
  db_.reset();
}

absl::StatusOr<std::unique_ptr<FeatureStore>> FeatureStore::Open(
    const StoreOptions& options) {
  if (options.trending_tau_ms <= 0) {
    return absl::InvalidArgumentError("trending_tau_ms must be positive");
  }
  if (options.covisit_window < 0 || options.covisit_backward < 0 ||
      options.covisit_tau_ms <= 0 || options.covisit_row_limit <= 0) {
    return absl::InvalidArgumentError(
        "covisit_window and covisit_backward must not be negative, covisit_tau_ms "
        "and covisit_row_limit must be positive");
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Only a skiplist memtable takes concurrent inserts. Little is lost:
  // catalog writes are serialised by write_mu_, and RocksDB inserts a
  // batch holding merges (every event batch) on one thread anyway.
  db_options.allow_concurrent_memtable_write = false;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kFamilyCount; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.compression = rocksdb::kLZ4Compression;
    // A point read of a key the memtable lacks (an upsert's new item, any
    // row flushed since) then skips the skiplist search: 20% of item
    // upserts' CPU went to those searches. 2% of the 64 MiB write buffer
    // gives 1.3 MiB of filter bits per memtable, ~20 bits per entry.
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
    if (i == kCounters || i == kHistories || i == kCovisit || i == kTrending) {
      // An event's rows go to these families, read by key. A skiplist
      // insert into a 64 MiB memtable cost ~4 us of cache misses, half of
      // RecordEvents' CPU; a hash of the whole key to a small per-bucket
      // list costs half as much (bench/results/2026-12-07-memtables.md). A
      // bucket holds a few rows, so it is a sorted linked list rather than
      // a skiplist of its own: ~10% more events/s
      // (bench/results/2026-12-07-evening.md). A flush's iterator copied
      // the memtable into a new skiplist, a quarter of the server's CPU
      // under events; the keys are sorted as an array instead, for a sixth
      // of that (store/sort_at_flush_memtable.h).
      // Only the cache warm-up and the trend scan at start iterate a
      // memtable still taking writes (total_order_seek): such an iterator
      // copies the memtable into order, and the whole-key "prefix" would
      // make Seek skip tables. An item's trend rows are deleted by a range,
      // which needs no iterator.
      cf.prefix_extractor.reset(rocksdb::NewNoopTransform());
      cf.memtable_factory = NewSortAtFlushRepFactory(
          std::shared_ptr<rocksdb::MemTableRepFactory>(rocksdb::NewHashLinkListRepFactory(
              1 << 18, /*huge_page_tlb_size=*/0,
              /*bucket_entries_logging_threshold=*/4096,
              /*if_log_bucket_dist_when_flash=*/false)));
      // The flush's sort takes longer than a skiplist's flush; with two
      // memtables the co-occurrence family stopped writes for ~0.5 s
      // while one waited (40-s runs of 4 callers), with four it did not.
      cf.max_write_buffer_number = 4;
    }
    if (i == kCounters) cf.merge_operator = NewCountersMergeOperator();
    if (i == kHistories)
      cf.merge_operator = NewHistoryMergeOperator(options.history_limit);
    if (i == kTrending) cf.merge_operator = NewTrendMergeOperator();
    if (i == kCovisit) {
      cf.merge_operator =
          NewCovisitMergeOperator(options.covisit_tau_ms, options.covisit_row_limit);
      // No max_successive_merges: it made every merge write seek the key
      // in the memtable (16% of RecordEvents' CPU). A read folds all of a
      // row's pending operands in one FullMergeV2, and a row gathers at
      // most one operand per batch during a memtable's life.
    }
    descriptors.emplace_back(kFamilyNames[i], cf);
  }
  auto handles = std::make_unique<Handles>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // Every table file is opened now, so the writer's later compactions
    // cannot delete one from under this view.
    db_options.max_open_files = -1;
    s = rocksdb::DB::OpenForReadOnly(db_options, options.dir.string(), descriptors,
                                     &handles->families, &raw);
  } else {
    s = rocksdb::DB::Open(db_options, options.dir.string(), descriptors,
                          &handles->families, &raw);
  }
  if (!s.ok()) return ToStatus(s, absl::StrCat("opening ", options.dir.string()));
  std::unique_ptr<rocksdb::DB> db(raw);
  handles->db = raw;
  std::unique_ptr<FeatureStore> store(
      new FeatureStore(options, std::move(db), std::move(handles)));
  absl::StatusOr<std::optional<std::string>> counts = store->ReadMeta(kCountsKey);
  absl::StatusOr<std::optional<std::string>> last = store->ReadMeta(kLastSequenceKey);
  if (!counts.ok()) return counts.status();
  if (!last.ok()) return last.status();
  {
    absl::MutexLock lock(&store->write_mu_);
    if (counts->has_value() && !store->counts_.ParseFromString(**counts)) {
      return absl::DataLossError("unparseable row counts");
    }
    if (last->has_value()) store->last_sequence_ = DecodeUint64(**last);
  }
  if (options.read_only) return store;
  if (absl::Status built = store->BuildTagIndexIfMissing(); !built.ok()) return built;
  if (absl::Status trends = store->OpenTrending(); !trends.ok()) return trends;
  return store;
}

absl::Status FeatureStore::BuildTagIndexIfMissing() {
  absl::StatusOr<std::optional<std::string>> built = ReadMeta(kTagIndexBuiltKey);
  if (!built.ok()) return built.status();
  if (built->has_value()) return absl::OkStatus();
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> absl::Status {
    absl::Status s = ToStatus(db_->Write(write_options, &batch), "building tag index");
    batch.Clear();
    return s;
  };
  absl::Status scanned = ForEachItem([&](const v1::Item& item) -> absl::Status {
    for (const std::string& tag : item.tags()) {
      batch.Put(handles_->families[kItemsByTag],
                ItemByTagKey(tag, item.created_at_ms(), item.id()), "");
    }
    return batch.Count() >= kOpenBatchRows ? flush() : absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  batch.Put(handles_->families[kMeta], kTagIndexBuiltKey, "1");
  write_options.sync = true;
  return flush();
}

absl::Status FeatureStore::OpenTrending() {
  const std::string tau = EncodeUint64(static_cast<uint64_t>(options_.trending_tau_ms));
  absl::StatusOr<std::optional<std::string>> stored = ReadMeta(kTrendingTauKey);
  if (!stored.ok()) return stored.status();
  const bool discard = stored->has_value() && **stored != tau;
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::WriteBatch batch;
  absl::flat_hash_map<std::string, TrendingBoard> boards;
  rocksdb::ReadOptions scan;
  scan.total_order_seek = true;  // the family's memtable hashes whole keys
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(scan, handles_->families[kTrending]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (discard) {
      batch.Delete(handles_->families[kTrending], it->key());
      if (batch.Count() >= kOpenBatchRows) {
        if (absl::Status s =
                ToStatus(db_->Write(write_options, &batch), "discarding trends");
            !s.ok()) {
          return s;
        }
        batch.Clear();
      }
      continue;
    }
    TrendKeyParts parts;
    double value = 0;
    if (!DecodeTrendKey(absl::string_view(it->key().data(), it->key().size()), &parts) ||
        !DecodeTrendValue(absl::string_view(it->value().data(), it->value().size()),
                          &value)) {
      return absl::DataLossError("unparseable trend row");
    }
    trend_bound_.Add(absl::string_view(it->key().data(), it->key().size()), value);
    boards.try_emplace(parts.region, options_.trending_board_size)
        .first->second.Offer(parts.item_id, value);
  }
  if (absl::Status s = ToStatus(it->status(), "scanning trends"); !s.ok()) return s;
  batch.Put(handles_->families[kMeta], kTrendingTauKey, tau);
  if (absl::Status s =
          ToStatus(db_->Write(write_options, &batch), "writing trending tau");
      !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&board_mu_);
  boards_ = std::move(boards);
  return absl::OkStatus();
}

absl::StatusOr<ItemWriteResult> FeatureStore::UpsertItems(std::span<const v1::Item> items,
                                                          Durability durability) {
  return WriteItemChanges(items, {}, durability);
}

absl::StatusOr<ItemWriteResult> FeatureStore::DeleteItems(
    std::span<const std::string> ids, Durability durability) {
  return WriteItemChanges({}, ids, durability);
}

absl::Status FeatureStore::SyncWrites() {
  if (!options_.sync_writes) return absl::OkStatus();
  const uint64_t mine = deferred_writes_.load();
  absl::MutexLock lock(&sync_mu_);
  if (synced_writes_ >= mine) return absl::OkStatus();
  // Every write counted by now is in the log already, so this fsync covers
  // the writes of callers now waiting behind this one too.
  const uint64_t covered = deferred_writes_.load();
  if (absl::Status s = ToStatus(db_->SyncWAL(), "syncing the write-ahead log"); !s.ok()) {
    return s;
  }
  synced_writes_ = covered;
  return absl::OkStatus();
}

absl::StatusOr<ItemWriteResult> FeatureStore::WriteItemChanges(
    std::span<const v1::Item> upserts, std::span<const std::string> deletes,
    Durability durability) {
  absl::MutexLock lock(&write_mu_);
  std::vector<std::string> ids;
  for (const v1::Item& item : upserts) ids.push_back(item.id());
  ids.insert(ids.end(), deletes.begin(), deletes.end());
  absl::StatusOr<std::vector<ItemRecord>> old = ReadItems(ids);
  if (!old.ok()) return old.status();
  // The state each id has as the batch is applied, so an id twice in one
  // batch sees its own earlier change. Pointers into `old` and `upserts`,
  // not copies: an item is a few hundred bytes with its embedding.
  absl::flat_hash_map<std::string_view, const v1::Item*> current;
  for (size_t i = 0; i < ids.size(); ++i) {
    current.try_emplace(ids[i], (*old)[i].item.get());
  }

  rocksdb::WriteBatch batch;
  Counts counts = counts_;
  uint64_t sequence = last_sequence_;
  ItemWriteResult result;
  // Creators whose lists of items change: their kept scans go.
  std::vector<std::string> creators;
  auto remove_secondary = [&](const v1::Item& item) {
    batch.Delete(handles_->families[kItemsByTime],
                 ItemByTimeKey(item.created_at_ms(), item.id()));
    if (!item.creator_id().empty()) {
      creators.push_back(item.creator_id());
      batch.Delete(handles_->families[kItemsByCreator],
                   ItemByCreatorKey(item.creator_id(), item.created_at_ms(), item.id()));
    }
    for (const std::string& tag : item.tags()) {
      batch.Delete(handles_->families[kItemsByTag],
                   ItemByTagKey(tag, item.created_at_ms(), item.id()));
    }
  };
  // Every trend row of a deleted item, in all regions. A range, not the
  // rows found by a scan: an event may add a row between a scan and the
  // write.
  auto remove_trends = [&](const std::string& id) {
    batch.DeleteRange(handles_->families[kTrending], TrendItemPrefix(id),
                      absl::StrCat(id, absl::string_view("\1", 1)));
  };
  std::vector<std::string> deleted_ids;
  auto log_change = [&](const std::string& id, bool deleted) {
    ItemChange change;
    change.set_item_id(id);
    change.set_deleted(deleted);
    batch.Put(handles_->families[kChangeLog], EncodeUint64(++sequence),
              change.SerializeAsString());
  };
  for (const v1::Item& item : upserts) {
    const v1::Item*& was = current[item.id()];
    if (was != nullptr) {
      remove_secondary(*was);
    } else {
      counts.set_items(counts.items() + 1);
    }
    batch.Put(handles_->families[kItems], item.id(), item.SerializeAsString());
    batch.Put(handles_->families[kItemsByTime],
              ItemByTimeKey(item.created_at_ms(), item.id()), "");
    if (!item.creator_id().empty()) {
      creators.push_back(item.creator_id());
      batch.Put(handles_->families[kItemsByCreator],
                ItemByCreatorKey(item.creator_id(), item.created_at_ms(), item.id()), "");
    }
    for (const std::string& tag : item.tags()) {
      batch.Put(handles_->families[kItemsByTag],
                ItemByTagKey(tag, item.created_at_ms(), item.id()), "");
    }
    log_change(item.id(), false);
    was = &item;
    ++result.changed;
  }
  for (const std::string& id : deletes) {
    const v1::Item*& was = current[id];
    if (was == nullptr) continue;
    remove_secondary(*was);
    remove_trends(id);
    batch.Delete(handles_->families[kCovisit], id);
    batch.Delete(handles_->families[kItems], id);
    batch.Delete(handles_->families[kCounters], id);
    deleted_ids.push_back(id);
    log_change(id, true);
    was = nullptr;
    counts.set_items(counts.items() - 1);
    ++result.changed;
  }
  if (sequence == last_sequence_) {
    result.sequence = sequence;
    return result;  // nothing to write
  }
  batch.Put(handles_->families[kMeta], kCountsKey, counts.SerializeAsString());
  batch.Put(handles_->families[kMeta], kLastSequenceKey, EncodeUint64(sequence));
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes && durability == Durability::kSynced;
  {
    // From before the write until the boards are clean, no board refresh
    // runs: one that read the rows before the delete would put the item
    // back, and one that read a newer event's row after it would be
    // ignored (lower than the old entry) and then lost with that entry.
    absl::MutexLockMaybe refresh_lock(deleted_ids.empty() ? nullptr : &board_refresh_mu_);
    if (absl::Status s = ToStatus(db_->Write(write_options, &batch), "writing items");
        !s.ok()) {
      return s;
    }
    if (durability == Durability::kDeferred) deferred_writes_.fetch_add(1);
    item_cache_->Invalidate(ids);
    newest_items_.Invalidate();
    creator_scans_->Invalidate(creators);
    if (!deleted_ids.empty()) {
      absl::MutexLock board_lock(&board_mu_);
      for (auto& [region, board] : boards_) {
        for (const std::string& id : deleted_ids) board.Remove(id);
      }
    }
  }
  counts_ = counts;
  last_sequence_ = sequence;
  result.sequence = sequence;
  return result;
}

template <typename Message>
absl::Status FeatureStore::UpsertRows(std::span<const Message> rows, int family,
                                      void (*count_new)(Counts*)) {
  absl::MutexLock lock(&write_mu_);
  std::vector<rocksdb::Slice> keys;
  keys.reserve(rows.size());
  for (const Message& row : rows) keys.emplace_back(row.id());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_->families[family], keys.size(),
                keys.data(), values.data(), statuses.data());
  Counts counts = counts_;
  absl::flat_hash_map<std::string, bool> exists;
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return ToStatus(statuses[i], "reading rows");
    }
    auto [it, first] = exists.try_emplace(rows[i].id(), statuses[i].ok());
    if (!it->second) count_new(&counts);
    it->second = true;
    batch.Put(handles_->families[family], rows[i].id(), rows[i].SerializeAsString());
  }
  batch.Put(handles_->families[kMeta], kCountsKey, counts.SerializeAsString());
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  if (absl::Status s = ToStatus(db_->Write(write_options, &batch), "writing rows");
      !s.ok()) {
    return s;
  }
  if (family == kCreators || family == kUsers) {
    std::vector<std::string> ids;
    ids.reserve(rows.size());
    for (const Message& row : rows) ids.push_back(row.id());
    if (family == kCreators) creator_cache_->Invalidate(ids);
    if (family == kUsers) user_region_cache_->Invalidate(ids);
  }
  counts_ = counts;
  return absl::OkStatus();
}

absl::Status FeatureStore::UpsertUsers(std::span<const v1::User> users) {
  return UpsertRows(users, kUsers, [](Counts* c) { c->set_users(c->users() + 1); });
}

absl::Status FeatureStore::UpsertCreators(std::span<const v1::Creator> creators) {
  return UpsertRows(creators, kCreators,
                    [](Counts* c) { c->set_creators(c->creators() + 1); });
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> FeatureStore::UserRegions(
    std::span<const v1::Event> events) const {
  absl::flat_hash_map<std::string, std::string> regions;
  std::vector<absl::string_view> users;
  for (const v1::Event& event : events) {
    if (!event.region().empty()) continue;
    if (regions.try_emplace(event.user_id()).second) users.push_back(event.user_id());
  }
  if (users.empty()) return regions;
  std::vector<std::shared_ptr<const CachedRegion>> cached =
      user_region_cache_->FindAll(std::span<const absl::string_view>(users));
  std::vector<rocksdb::Slice> keys;
  std::vector<uint64_t> tokens;
  for (size_t i = 0; i < users.size(); ++i) {
    if (cached[i] != nullptr) {
      regions[users[i]] = cached[i]->region;
      continue;
    }
    tokens.push_back(user_region_cache_->FillToken(users[i]));
    keys.emplace_back(users[i].data(), users[i].size());
  }
  if (keys.empty()) return regions;
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kUsers], keys.size(),
                keys.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return ToStatus(statuses[i], "reading users");
    }
    auto row = std::make_shared<CachedRegion>();
    if (statuses[i].ok()) {
      absl::StatusOr<absl::string_view> region =
          UserRegion(absl::string_view(values[i].data(), values[i].size()));
      if (!region.ok()) return region.status();
      row->region = std::string(*region);
    }
    const absl::string_view user(keys[i].data(), keys[i].size());
    regions[user] = row->region;
    // A user not stored yet is kept as having no region: the upsert that
    // stores it invalidates this.
    user_region_cache_->Fill(tokens[i], user, std::move(row));
  }
  return regions;
}

absl::Status FeatureStore::StartCovisitUsers(std::span<const v1::Event> events,
                                             CovisitPairer* pairer) const {
  absl::flat_hash_set<absl::string_view> users;
  std::vector<rocksdb::Slice> keys;
  std::vector<std::string> recent;
  for (const v1::Event& event : events) {
    if (TrendWeight(event.type()) <= 0) continue;
    if (!users.insert(event.user_id()).second) continue;
    if (recent_items_.Find(event.user_id(), &recent)) {
      pairer->StartUserFrom(event.user_id(), std::move(recent));
    } else {
      keys.emplace_back(event.user_id());
    }
  }
  if (keys.empty()) return absl::OkStatus();
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kHistories], keys.size(),
                keys.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return ToStatus(statuses[i], "reading histories");
    }
    const absl::string_view history =
        statuses[i].ok() ? absl::string_view(values[i].data(), values[i].size())
                         : absl::string_view();
    if (absl::Status s = pairer->StartUser(keys[i].ToString(), history); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CovisitRow>> FeatureStore::ReadCovisit(
    std::span<const std::string> item_ids, int64_t now_ms) const {
  std::vector<rocksdb::Slice> keys(item_ids.begin(), item_ids.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kCovisit], keys.size(),
                keys.data(), values.data(), statuses.data());
  std::vector<CovisitRow> rows(keys.size());
  CovisitView view;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return ToStatus(statuses[i], "reading co-visitation");
    if (absl::Status s = ParseCovisitView(
            absl::string_view(values[i].data(), values[i].size()), &view);
        !s.ok()) {
      return s;
    }
    rows[i] = CovisitRowAt(view, now_ms, options_.covisit_tau_ms);
  }
  return rows;
}

absl::Status FeatureStore::RecordEvents(std::span<const v1::Event> events) {
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> user_regions =
      UserRegions(events);
  if (!user_regions.ok()) return user_regions.status();
  CovisitPairer covisit({.window = options_.covisit_window,
                         .backward = options_.covisit_backward,
                         .tau_ms = options_.covisit_tau_ms,
                         .row_limit = options_.covisit_row_limit});
  if (covisit.enabled()) {
    if (absl::Status s = StartCovisitUsers(events, &covisit); !s.ok()) return s;
  }
  // One merge operand per item, per user and per trend row, however many
  // events they have.
  absl::flat_hash_map<std::string, ItemCounters> counters;
  absl::flat_hash_map<std::string, UserHistory> histories;
  absl::flat_hash_map<std::string, double> trends;
  // Regions that have, or may now get, a board (see max_trending_regions).
  absl::flat_hash_set<std::string> regions_in_use = {""};  // the global board
  {
    absl::ReaderMutexLock board_lock(&board_mu_);
    for (const auto& [region, board] : boards_) regions_in_use.insert(region);
  }
  size_t room = regions_in_use.size() < static_cast<size_t>(options_.max_trending_regions)
                    ? options_.max_trending_regions - regions_in_use.size()
                    : 0;
  auto region_allowed = [&](const std::string& region) {
    if (regions_in_use.contains(region)) return true;
    if (room == 0) return false;
    --room;
    regions_in_use.insert(region);
    return true;
  };
  auto add_trend = [&](std::string key, double value) {
    auto [it, inserted] = trends.try_emplace(std::move(key), value);
    if (!inserted) it->second = LogAddExp(it->second, value);
  };
  for (const v1::Event& event : events) {
    AddEventToCounters(event, &counters[event.item_id()]);
    RecentEvent* recent = histories[event.user_id()].add_events();
    recent->set_item_id(event.item_id());
    recent->set_type(event.type());
    recent->set_timestamp_ms(event.timestamp_ms());
    covisit.Add(event);
    const double weight = TrendWeight(event.type());
    if (weight <= 0) continue;
    const double value =
        TrendValueOfEvent(weight, event.timestamp_ms(), options_.trending_tau_ms);
    add_trend(TrendKey(event.item_id(), ""), value);
    const std::string& region =
        event.region().empty() ? (*user_regions)[event.user_id()] : event.region();
    if (!region.empty() && region_allowed(region)) {
      add_trend(TrendKey(event.item_id(), region), value);
    }
  }
  auto serialize = [](const auto& message) { return message.SerializeAsString(); };
  rocksdb::WriteBatch batch;
  MergeInKeyOrder(counters, handles_->families[kCounters], serialize, &batch);
  MergeInKeyOrder(histories, handles_->families[kHistories], serialize, &batch);
  MergeInKeyOrder(
      covisit.TakeOperands(), handles_->families[kCovisit],
      [](const std::string& bytes) -> const std::string& { return bytes; }, &batch);
  if (options_.outcome_log) AddOutcomeRows(events, handles_->families[kOutcomes], &batch);
  MergeInKeyOrder(trends, handles_->families[kTrending], EncodeTrendValue, &batch);
  // Bounded before the write, so that a refresh that reads the rows with
  // these increments sees bounds that include them.
  std::vector<std::string> trend_keys;
  trend_keys.reserve(trends.size());
  for (const auto& [key, value] : trends) {
    trend_bound_.Add(key, value);
    trend_keys.push_back(key);
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  if (absl::Status s = ToStatus(db_->Write(write_options, &batch), "recording events");
      !s.ok()) {
    return s;
  }
  // Only now: a list kept for a batch that failed would pair the user's
  // next events with items their history never got.
  for (const auto& [user_id, items] : covisit.users()) {
    if (!items.batch.empty()) recent_items_.Update(user_id, items.batch, items.recent);
  }
  std::vector<std::string> counted;
  counted.reserve(counters.size());
  for (const auto& [item_id, delta] : counters) counted.push_back(item_id);
  item_cache_->Invalidate(counted);
  // The events are durable whatever happens next. A board that misses this
  // refresh catches up with the item's next event or at the next open, so
  // reporting a failure here would only invite a retry that counts twice.
  RefreshBoards(trend_keys).IgnoreError();
  return absl::OkStatus();
}

absl::Status FeatureStore::RefreshBoards(const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::OkStatus();
  // The boards need whole values, which only the merged rows hold; reading
  // them back after the write keeps the write itself free of reads.
  absl::ReaderMutexLock refresh_lock(&board_refresh_mu_);
  // Only rows that might change a board. Deletes, the one way onto a board
  // that a skip could miss, wait for this refresh (board_refresh_mu_).
  std::vector<TrendKeyParts> all_parts(keys.size());
  std::vector<double> bounds(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!DecodeTrendKey(keys[i], &all_parts[i])) {
      return absl::DataLossError("unparseable trend key");
    }
    bounds[i] = trend_bound_.Bound(keys[i]);
  }
  std::vector<rocksdb::Slice> slices;
  std::vector<TrendKeyParts> parts;
  {
    absl::ReaderMutexLock board_lock(&board_mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto board = boards_.find(all_parts[i].region);
      if (board != boards_.end() &&
          !board->second.MightTake(all_parts[i].item_id, bounds[i])) {
        continue;
      }
      slices.emplace_back(keys[i]);
      parts.push_back(all_parts[i]);
    }
  }
  if (slices.empty()) return absl::OkStatus();
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kTrending], slices.size(),
                slices.data(), values.data(), statuses.data());
  std::vector<std::pair<TrendKeyParts, double>> rows;
  rows.reserve(slices.size());
  for (size_t i = 0; i < slices.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;  // deleted meanwhile
    if (!statuses[i].ok()) return ToStatus(statuses[i], "reading trends");
    double value = 0;
    if (!DecodeTrendValue(absl::string_view(values[i].data(), values[i].size()),
                          &value)) {
      return absl::DataLossError("unparseable trend row");
    }
    rows.emplace_back(parts[i], value);
  }
  absl::MutexLock board_lock(&board_mu_);
  for (const auto& [row_parts, value] : rows) {
    boards_.try_emplace(row_parts.region, options_.trending_board_size)
        .first->second.Offer(row_parts.item_id, value);
  }
  return absl::OkStatus();
}

absl::StatusOr<UserRecord> FeatureStore::ReadUser(absl::string_view user_id) const {
  const rocksdb::Slice key(user_id.data(), user_id.size());
  rocksdb::ColumnFamilyHandle* families[2] = {handles_->families[kUsers],
                                              handles_->families[kHistories]};
  rocksdb::Slice keys[2] = {key, key};
  rocksdb::PinnableSlice values[2];
  rocksdb::Status statuses[2];
  db_->MultiGet(rocksdb::ReadOptions(), 2, families, keys, values, statuses);
  UserRecord record;
  for (int i = 0; i < 2; ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return ToStatus(statuses[i], "reading user");
    }
  }
  if (statuses[0].ok()) {
    absl::StatusOr<v1::User> user = Parse<v1::User>(values[0], "user");
    if (!user.ok()) return user.status();
    record.user = *std::move(user);
  }
  if (statuses[1].ok()) {
    absl::StatusOr<UserHistory> history = Parse<UserHistory>(values[1], "history");
    if (!history.ok()) return history.status();
    record.history = *std::move(history);
  }
  return record;
}

absl::Status FeatureStore::CompactAll() {
  rocksdb::FlushOptions flush;
  if (absl::Status s = ToStatus(db_->Flush(flush, handles_->families), "flushing");
      !s.ok()) {
    return s;
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* family : handles_->families) {
    absl::Status s = ToStatus(db_->CompactRange(compact, family, nullptr, nullptr),
                              absl::StrCat("compacting ", family->GetName()));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ItemRecord>> FeatureStore::ReadItems(
    std::span<const std::string> ids) const {
  return ReadItems(ids, /*counted=*/true);
}

absl::StatusOr<std::vector<ItemRecord>> FeatureStore::ReadItems(
    std::span<const std::string> ids, bool counted) const {
  const size_t n = ids.size();
  std::vector<ItemRecord> records(n);
  std::vector<absl::string_view> misses;
  std::vector<size_t> miss_at;  // positions in `ids`
  std::vector<std::shared_ptr<const CachedItem>> cached =
      item_cache_->FindAll(ids, counted);
  for (size_t i = 0; i < n; ++i) {
    if (cached[i] == nullptr) {
      misses.push_back(ids[i]);
      miss_at.push_back(i);
      continue;
    }
    records[i] = CachedItem::Share(std::move(cached[i]));
  }
  if (misses.empty()) return records;
  std::vector<uint64_t> tokens(misses.size());
  for (size_t j = 0; j < misses.size(); ++j)
    tokens[j] = item_cache_->FillToken(misses[j]);
  absl::StatusOr<std::vector<std::shared_ptr<CachedItem>>> read =
      MultiGetItems(misses, /*with_embeddings=*/false);
  if (!read.ok()) return read.status();
  for (size_t j = 0; j < misses.size(); ++j) {
    records[miss_at[j]] = CachedItem::Share((*read)[j]);
    item_cache_->Fill(tokens[j], misses[j], std::move((*read)[j]));
  }
  return records;
}

namespace {

// The ids of items with events, most events first (ties by id): what feeds
// read most. Co-occurrence rows, the trending boards and the neighbours of
// engaged users all lead to the items users act on.
absl::StatusOr<std::vector<std::string>> ItemsByEvents(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* counters,
    const std::atomic<bool>& stop) {
  std::vector<std::pair<uint64_t, std::string>> counted;
  rocksdb::ReadOptions options;
  // The family's prefix extractor is the whole key: without this a scan
  // would be held to one key's "prefix".
  options.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, counters));
  ItemCounters c;
  for (it->SeekToFirst(); it->Valid() && !stop.load(std::memory_order_relaxed);
       it->Next()) {
    if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("unparseable counters of item ", it->key().ToString()));
    }
    const uint64_t events = c.impressions() + c.clicks() + c.dwells() + c.likes() +
                            c.saves() + c.shares() + c.comments() + c.follows() +
                            c.add_to_carts() + c.purchases();
    if (events > 0) counted.emplace_back(events, it->key().ToString());
  }
  if (absl::Status s = ToStatus(it->status(), "scanning item counters"); !s.ok())
    return s;
  std::sort(counted.begin(), counted.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  });
  std::vector<std::string> ids;
  ids.reserve(counted.size());
  for (auto& [events, id] : counted) ids.push_back(std::move(id));
  return ids;
}

}  // namespace

absl::StatusOr<FeatureStore::CacheWarmth> FeatureStore::WarmItemCache(
    const std::atomic<bool>& stop) const {
  // Once a shard is full, each row the scan reads would evict one it has
  // just read, which is no colder: the warm-up ends at the first eviction.
  const uint64_t evictions = item_cache_->evictions();
  auto full = [&] { return item_cache_->evictions() != evictions; };
  // Small reads: the read that first evicts may evict up to its size of
  // rows read before it, and those are the most engaged ones.
  constexpr size_t kChunk = 64;
  CacheWarmth warmth;
  if (item_cache_->capacity() == 0) return warmth;
  std::vector<std::string> ids;
  ids.reserve(kChunk);
  auto read = [&]() -> absl::Status {
    // Not counted: GetStatus's hit share is the workload's.
    absl::StatusOr<std::vector<ItemRecord>> records = ReadItems(ids, /*counted=*/false);
    if (!records.ok()) return records.status();
    warmth.items += static_cast<int64_t>(ids.size());
    ids.clear();
    return absl::OkStatus();
  };
  // The most engaged items first. The cache holds ~40% of a 1M catalog,
  // and feeds find ~98% of their items in it once it has filled from their
  // own reads; filled in key order, it held items no feed had asked for
  // yet, and the first feeds after a start went to RocksDB.
  absl::StatusOr<std::vector<std::string>> engaged =
      ItemsByEvents(db_.get(), handles_->families[kCounters], stop);
  if (!engaged.ok()) return engaged.status();
  absl::flat_hash_set<absl::string_view> done;
  for (const std::string& id : *engaged) {
    if (stop.load(std::memory_order_relaxed) || full()) break;
    ids.push_back(id);
    done.insert(id);
    if (ids.size() < kChunk) continue;
    if (absl::Status s = read(); !s.ok()) return s;
  }
  if (!ids.empty() && !stop.load(std::memory_order_relaxed) && !full()) {
    if (absl::Status s = read(); !s.ok()) return s;
  }
  ids.clear();
  // Marked as read, so that the first rows the clock evicts for the rest
  // are not these.
  if (!full()) {
    item_cache_->FindAll(std::span<const std::string>(engaged->data(), done.size()),
                         /*counted=*/false);
  }
  // Then the rest in key order, while there is room. The scan only yields
  // ids: ReadItems reads the rows again, from the blocks the scan has just
  // put in the block cache, taking its fill tokens first.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_->families[kItems]));
  for (it->SeekToFirst(); it->Valid() && !full(); it->Next()) {
    if (stop.load(std::memory_order_relaxed)) break;
    const absl::string_view id(it->key().data(), it->key().size());
    if (done.contains(id)) continue;
    ids.emplace_back(id);
    if (ids.size() < kChunk) continue;
    if (absl::Status s = read(); !s.ok()) return s;
  }
  if (absl::Status s = ToStatus(it->status(), "scanning items"); !s.ok()) return s;
  if (!ids.empty() && !stop.load(std::memory_order_relaxed)) {
    if (absl::Status s = read(); !s.ok()) return s;
  }
  warmth.bytes = item_cache_->usage();
  return warmth;
}

namespace {

int64_t MapValue(const std::map<std::string, std::string>& map, const std::string& key) {
  auto it = map.find(key);
  int64_t value = 0;
  if (it == map.end() || !absl::SimpleAtoi(it->second, &value)) return 0;
  return value;
}

}  // namespace

FeatureStore::Health FeatureStore::health() const {
  Health health;
  // RocksDB counts stalls per column family, but a stop in one holds the
  // writes of all: the sums say how often the node's writes were held.
  for (rocksdb::ColumnFamilyHandle* family : handles_->families) {
    std::map<std::string, std::string> stats;
    if (db_->GetMapProperty(family, rocksdb::DB::Properties::kCFStats, &stats)) {
      health.write_stops += MapValue(stats, "io_stalls.total_stop");
      health.write_slowdowns += MapValue(stats, "io_stalls.total_slowdown");
    }
    uint64_t value = 0;
    if (db_->GetIntProperty(
            family, rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &value)) {
      health.pending_compaction_bytes += static_cast<int64_t>(value);
    }
    if (db_->GetIntProperty(family, rocksdb::DB::Properties::kCurSizeAllMemTables,
                            &value)) {
      health.memtable_bytes += static_cast<int64_t>(value);
    }
  }
  std::map<std::string, std::string> db_stats;
  if (db_->GetMapProperty(rocksdb::DB::Properties::kDBStats, &db_stats)) {
    health.write_stall_micros = MapValue(db_stats, "db.user_write_stall_micros");
  }
  uint64_t stopped = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &stopped)) {
    health.writes_stopped = stopped != 0;
  }
  health.item_cache_bytes = static_cast<int64_t>(item_cache_->usage());
  health.item_cache_capacity_bytes = static_cast<int64_t>(item_cache_->capacity());
  health.item_cache_evictions = static_cast<int64_t>(item_cache_->evictions());
  health.item_cache_lookups = static_cast<int64_t>(item_cache_->lookups());
  health.item_cache_hits = static_cast<int64_t>(item_cache_->hits());
  health.creator_scan_asks = creator_scan_asks_.load(std::memory_order_relaxed);
  health.creator_scan_kept = creator_scan_kept_.load(std::memory_order_relaxed);
  return health;
}

absl::StatusOr<std::vector<ItemRecord>> FeatureStore::ReadItemsWithEmbeddings(
    std::span<const std::string> ids) const {
  const std::vector<absl::string_view> keys(ids.begin(), ids.end());
  absl::StatusOr<std::vector<std::shared_ptr<CachedItem>>> read =
      MultiGetItems(keys, /*with_embeddings=*/true);
  if (!read.ok()) return read.status();
  std::vector<ItemRecord> records;
  records.reserve(ids.size());
  for (std::shared_ptr<CachedItem>& row : *read) {
    records.push_back(CachedItem::Share(std::move(row)));
  }
  return records;
}

absl::StatusOr<std::vector<std::shared_ptr<FeatureStore::CachedItem>>>
FeatureStore::MultiGetItems(std::span<const absl::string_view> ids,
                            bool with_embeddings) const {
  // One MultiGet for the item and counter rows of every id.
  const size_t m = ids.size();
  std::vector<rocksdb::ColumnFamilyHandle*> families(2 * m);
  std::vector<rocksdb::Slice> keys(2 * m);
  for (size_t j = 0; j < m; ++j) {
    families[j] = handles_->families[kItems];
    families[m + j] = handles_->families[kCounters];
    keys[j] = keys[m + j] = rocksdb::Slice(ids[j].data(), ids[j].size());
  }
  std::vector<rocksdb::PinnableSlice> values(2 * m);
  std::vector<rocksdb::Status> statuses(2 * m);
  db_->MultiGet(rocksdb::ReadOptions(), 2 * m, families.data(), keys.data(),
                values.data(), statuses.data());
  for (size_t j = 0; j < 2 * m; ++j) {
    if (!statuses[j].ok() && !statuses[j].IsNotFound()) {
      return ToStatus(statuses[j], "reading items");
    }
  }
  std::vector<std::shared_ptr<CachedItem>> records(m);
  for (size_t j = 0; j < m; ++j) {
    auto record = std::make_shared<CachedItem>();
    if (statuses[j].ok()) {
      absl::StatusOr<v1::Item> item = Parse<v1::Item>(values[j], "item");
      if (!item.ok()) return item.status();
      if (!with_embeddings) {
        // Swapped out, not cleared: Clear keeps the capacity.
        google::protobuf::RepeatedField<float>().Swap(item->mutable_embedding());
      }
      record->item = std::make_shared<const v1::Item>(*std::move(item));
    }
    if (statuses[m + j].ok()) {
      absl::StatusOr<ItemCounters> c = Parse<ItemCounters>(values[m + j], "counters");
      if (!c.ok()) return c.status();
      record->counters = *std::move(c);
    }
    records[j] = std::move(record);
  }
  return records;
}

absl::StatusOr<std::vector<std::shared_ptr<const v1::Creator>>>
FeatureStore::ReadCreators(std::span<const std::string> ids) const {
  std::vector<std::shared_ptr<const v1::Creator>> found = creator_cache_->FindAll(ids);
  std::vector<rocksdb::Slice> keys;
  std::vector<size_t> misses;  // positions in `ids`
  std::vector<uint64_t> tokens;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (found[i] != nullptr) continue;
    misses.push_back(i);
    keys.emplace_back(ids[i]);
    tokens.push_back(creator_cache_->FillToken(ids[i]));
  }
  if (!keys.empty()) {
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kCreators], keys.size(),
                  keys.data(), values.data(), statuses.data());
    for (size_t j = 0; j < keys.size(); ++j) {
      if (statuses[j].IsNotFound()) continue;
      if (!statuses[j].ok()) return ToStatus(statuses[j], "reading creators");
      absl::StatusOr<v1::Creator> creator = Parse<v1::Creator>(values[j], "creator");
      if (!creator.ok()) return creator.status();
      auto row = std::make_shared<const v1::Creator>(*std::move(creator));
      found[misses[j]] = row;
      creator_cache_->Fill(tokens[j], ids[misses[j]], std::move(row));
    }
  }
  std::erase(found, nullptr);
  return found;
}

absl::StatusOr<std::vector<size_t>> FeatureStore::MissingItems(
    std::span<const std::string> ids) const {
  // The row cache knows most ids either way (it holds unknown ids too, as
  // records without an item); only the rest are looked up.
  std::vector<bool> known_missing(ids.size(), false);
  std::vector<size_t> unknown;  // positions in `ids`
  std::vector<rocksdb::Slice> keys;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!item_cache_->Visit(ids[i], [&](const CachedItem& cached) {
          known_missing[i] = cached.item == nullptr;
        })) {
      unknown.push_back(i);
      keys.emplace_back(ids[i]);
    }
  }
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  if (!keys.empty()) {
    db_->MultiGet(rocksdb::ReadOptions(), handles_->families[kItems], keys.size(),
                  keys.data(), values.data(), statuses.data());
  }
  for (size_t j = 0; j < keys.size(); ++j) {
    if (statuses[j].IsNotFound()) {
      known_missing[unknown[j]] = true;
    } else if (!statuses[j].ok()) {
      return ToStatus(statuses[j], "reading items");
    }
  }
  std::vector<size_t> missing;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (known_missing[i]) missing.push_back(i);
  }
  return missing;
}

absl::StatusOr<std::vector<TimedItemId>> FeatureStore::NewestItems(
    int limit, int64_t since_ms) const {
  if (std::optional<std::vector<TimedItemId>> kept =
          newest_items_.Find(limit, since_ms)) {
    return *std::move(kept);
  }
  const uint64_t generation = newest_items_.Generation();
  std::vector<TimedItemId> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_->families[kItemsByTime]));
  for (it->SeekToFirst(); it->Valid() && static_cast<int>(out.size()) < limit;
       it->Next()) {
    TimedId id = DecodeTimedId(absl::string_view(it->key().data(), it->key().size()), 0);
    if (id.created_at_ms < since_ms) break;  // newest first: the rest are older
    out.push_back({std::move(id.item_id), id.created_at_ms});
  }
  if (absl::Status s = ToStatus(it->status(), "scanning newest items"); !s.ok()) {
    return s;
  }
  newest_items_.Put(generation, {.limit = limit, .since_ms = since_ms, .items = out});
  return out;
}

absl::StatusOr<std::vector<std::vector<TimedItemId>>> FeatureStore::NewestItemsOfCreators(
    std::span<const absl::string_view> creator_ids, int64_t since_ms, int limit) const {
  std::vector<std::vector<TimedItemId>> out(creator_ids.size());
  const std::vector<std::shared_ptr<const NewestScan>> kept =
      creator_scans_->FindAll(creator_ids);
  int64_t answered = 0;
  for (size_t i = 0; i < creator_ids.size(); ++i) {
    if (kept[i] != nullptr && kept[i]->Covers(limit, since_ms)) {
      out[i] = kept[i]->Answer(limit, since_ms);
      ++answered;
      continue;
    }
    const absl::string_view creator_id = creator_ids[i];
    const uint64_t token = creator_scans_->FillToken(creator_id);
    absl::StatusOr<std::vector<TimedItemId>> scan =
        ScanNewestOf(db_.get(), handles_->families[kItemsByCreator], creator_id,
                     CreatorPrefix(creator_id), since_ms, limit);
    if (!scan.ok()) return scan.status();
    out[i] = *std::move(scan);
    creator_scans_->Fill(token, creator_id,
                         std::make_shared<const NewestScan>(NewestScan{
                             .limit = limit, .since_ms = since_ms, .items = out[i]}));
  }
  creator_scan_asks_.fetch_add(static_cast<int64_t>(creator_ids.size()),
                               std::memory_order_relaxed);
  creator_scan_kept_.fetch_add(answered, std::memory_order_relaxed);
  return out;
}

absl::StatusOr<std::vector<TimedItemId>> FeatureStore::NewestItemsWithTag(
    absl::string_view tag, int limit) const {
  return ScanNewestOf(db_.get(), handles_->families[kItemsByTag], tag, TagPrefix(tag),
                      std::numeric_limits<int64_t>::min(), limit);
}

std::shared_ptr<const TrendSnapshot> FeatureStore::TrendBoard(
    absl::string_view region) const {
  absl::ReaderMutexLock lock(&board_mu_);
  auto it = boards_.find(region);
  if (it == boards_.end()) return nullptr;
  return it->second.Snapshot();
}

absl::StatusOr<std::vector<std::pair<std::string, double>>> FeatureStore::TopTrending(
    absl::string_view region, int limit, int64_t now_ms) const {
  std::vector<std::pair<std::string, double>> top;
  const std::shared_ptr<const TrendSnapshot> board = TrendBoard(region);
  if (board == nullptr || limit <= 0) return top;
  const size_t n = std::min<size_t>(static_cast<size_t>(limit), board->top.size());
  top.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& [id, value] = board->top[i];
    top.emplace_back(id, TrendScore(value, now_ms, options_.trending_tau_ms));
  }
  return top;
}

absl::Status FeatureStore::ForEachItem(
    const std::function<absl::Status(const v1::Item&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_->families[kItems]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<v1::Item> item = Parse<v1::Item>(it->value(), "item");
    if (!item.ok()) return item.status();
    if (absl::Status s = fn(*item); !s.ok()) return s;
  }
  return ToStatus(it->status(), "scanning items");
}

absl::Status FeatureStore::ForEachUser(
    const std::function<absl::Status(const v1::User&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_->families[kUsers]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<v1::User> user = Parse<v1::User>(it->value(), "user");
    if (!user.ok()) return user.status();
    if (absl::Status s = fn(*user); !s.ok()) return s;
  }
  return ToStatus(it->status(), "scanning users");
}

absl::StatusOr<std::vector<std::string>> FeatureStore::ItemsChangedAfter(
    uint64_t after) const {
  std::vector<std::string> order;
  absl::flat_hash_map<std::string, size_t> last_position;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_->families[kChangeLog]));
  for (it->Seek(EncodeUint64(after + 1)); it->Valid(); it->Next()) {
    absl::StatusOr<ItemChange> change = Parse<ItemChange>(it->value(), "change");
    if (!change.ok()) return change.status();
    last_position[change->item_id()] = order.size();
    order.push_back(change->item_id());
  }
  if (absl::Status s = ToStatus(it->status(), "scanning change log"); !s.ok()) {
    return s;
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < order.size(); ++i) {
    if (last_position[order[i]] == i) ids.push_back(order[i]);
  }
  return ids;
}

absl::Status FeatureStore::TrimChangesThrough(uint64_t through) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  return ToStatus(db_->DeleteRange(write_options, handles_->families[kChangeLog],
                                   EncodeUint64(0), EncodeUint64(through + 1)),
                  "trimming change log");
}

uint64_t FeatureStore::LastSequence() const {
  absl::MutexLock lock(&write_mu_);
  return last_sequence_;
}

absl::StatusOr<std::optional<std::string>> FeatureStore::ReadMeta(
    absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_->families[kMeta],
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return ToStatus(s, "reading meta");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<std::string>> FeatureStore::GetMeta(
    absl::string_view key) const {
  return ReadMeta(absl::StrCat(kCallerMetaPrefix, key));
}

absl::Status FeatureStore::PutMeta(absl::string_view key, absl::string_view value) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const std::string prefixed = absl::StrCat(kCallerMetaPrefix, key);
  return ToStatus(db_->Put(write_options, handles_->families[kMeta], prefixed,
                           rocksdb::Slice(value.data(), value.size())),
                  "writing meta");
}

Counts FeatureStore::counts() const {
  absl::MutexLock lock(&write_mu_);
  return counts_;
}

}  // namespace zhongcao::store

namespace zhongcao::store {
namespace {

// Calls `row(key, value)` for each row of `family` in the query's range,
// from after `query.resume_after`, until it returns false (page full) or a
// budget runs out; returns the key to resume after, or "" when done.
absl::StatusOr<std::string> ScanLog(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, const LogQuery& query,
    const std::function<absl::StatusOr<bool>(absl::string_view, absl::string_view)>&
        row) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // a log scan would evict serving data
  const std::string upper = LogTimeKey(query.until_ms);
  rocksdb::Slice upper_bound(upper);
  if (query.until_ms != std::numeric_limits<int64_t>::max()) {
    read_options.iterate_upper_bound = &upper_bound;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, family));
  const std::string start = std::max(LogTimeKey(query.since_ms), query.resume_after);
  it->Seek(start);
  if (it->Valid() && it->key() == rocksdb::Slice(query.resume_after)) it->Next();
  int scanned = 0;
  for (; it->Valid(); it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    absl::StatusOr<bool> more =
        row(key, absl::string_view(it->value().data(), it->value().size()));
    if (!more.ok()) return more.status();
    if (!*more || ++scanned >= query.max_scanned) return std::string(key);
  }
  if (absl::Status s = ToStatus(it->status(), "scanning a log"); !s.ok()) return s;
  return std::string();
}

// Deletes the oldest rows of `family` past `max_rows`.
absl::Status CapLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                    int64_t max_rows) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  int64_t rows = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
    if (absl::Status s = ToStatus(it->status(), "counting log rows"); !s.ok()) return s;
  }
  if (rows <= max_rows) return absl::OkStatus();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, family));
  it->SeekToFirst();
  for (int64_t skip = rows - max_rows; skip > 0 && it->Valid(); --skip) it->Next();
  if (absl::Status s = ToStatus(it->status(), "finding the log's cut"); !s.ok()) return s;
  if (!it->Valid()) return absl::OkStatus();
  return ToStatus(
      db->DeleteRange(rocksdb::WriteOptions(), family, LogTimeKey(0), it->key()),
      "capping a log");
}

}  // namespace

absl::Status FeatureStore::AppendExposures(std::span<const ExposureRow> rows) {
  rocksdb::WriteBatch batch;
  for (const ExposureRow& row : rows) {
    batch.Put(handles_->families[kExposures],
              ExposureKey(row.exposure().logged_at_ms(), row.exposure().request_id()),
              row.SerializeAsString());
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = false;  // a log; see the header
  return ToStatus(db_->Write(write_options, &batch), "appending exposures");
}

absl::StatusOr<LogPage<v1::Exposure>> FeatureStore::ReadExposures(
    const LogQuery& query) const {
  LogPage<v1::Exposure> page;
  size_t bytes = 0;
  absl::StatusOr<std::string> resume =
      ScanLog(db_.get(), handles_->families[kExposures], query,
              [&](absl::string_view, absl::string_view value) -> absl::StatusOr<bool> {
                absl::StatusOr<v1::Exposure> exposure = ExposureFromRow(value);
                if (!exposure.ok()) return exposure.status();
                if (!query.user_id.empty() && exposure->user_id() != query.user_id) {
                  return true;
                }
                // The page's size as sent: a stored row is smaller than the
                // exposure it expands to, whose items name their features.
                bytes += exposure->ByteSizeLong();
                page.rows.push_back(*std::move(exposure));
                return static_cast<int>(page.rows.size()) < query.limit &&
                       bytes < query.max_bytes;
              });
  if (!resume.ok()) return resume.status();
  page.resume_after = *std::move(resume);
  return page;
}

absl::StatusOr<LogPage<v1::Outcome>> FeatureStore::ReadOutcomes(
    const LogQuery& query) const {
  LogPage<v1::Outcome> page;
  size_t bytes = 0;
  absl::StatusOr<std::string> resume = ScanLog(
      db_.get(), handles_->families[kOutcomes], query,
      [&](absl::string_view key, absl::string_view value) -> absl::StatusOr<bool> {
        v1::Outcome outcome;
        int64_t logged_at_ms = 0;
        if (!DecodeLogTime(key, &logged_at_ms) ||
            !outcome.mutable_event()->ParseFromArray(value.data(),
                                                     static_cast<int>(value.size()))) {
          return absl::DataLossError("unparseable outcome");
        }
        if (!query.user_id.empty() && outcome.event().user_id() != query.user_id) {
          return true;
        }
        outcome.set_logged_at_ms(logged_at_ms);
        bytes += value.size();
        page.rows.push_back(std::move(outcome));
        return static_cast<int>(page.rows.size()) < query.limit &&
               bytes < query.max_bytes;
      });
  if (!resume.ok()) return resume.status();
  page.resume_after = *std::move(resume);
  return page;
}

absl::Status FeatureStore::PruneLogs(int64_t before_ms, int64_t max_rows) {
  for (int family : {kExposures, kOutcomes}) {
    rocksdb::ColumnFamilyHandle* handle = handles_->families[family];
    if (before_ms > 0) {
      if (absl::Status s =
              ToStatus(db_->DeleteRange(rocksdb::WriteOptions(), handle, LogTimeKey(0),
                                        LogTimeKey(before_ms)),
                       "pruning a log");
          !s.ok()) {
        return s;
      }
    }
    if (max_rows > 0) {
      if (absl::Status s = CapLog(db_.get(), handle, max_rows); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace zhongcao::store
