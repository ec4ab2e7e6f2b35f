#include "service/node.h"

#include <chrono>
#include <cstdio>
#include <set>
#include <string_view>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "index/durable_file.h"
#include "service/background_priority.h"

namespace zhongcao::service {
namespace fs = std::filesystem;
namespace {

constexpr char kDimensionKey[] = "dimension";
constexpr size_t kReplayChunk = 1000;
constexpr int64_t kMaxClockSkewMs = 5 * 60 * 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status CheckDimension(store::FeatureStore& store, int dim) {
  absl::StatusOr<std::optional<std::string>> stored = store.GetMeta(kDimensionKey);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return store.PutMeta(kDimensionKey, absl::StrCat(dim));
  int stored_dim = 0;
  if (!absl::SimpleAtoi(**stored, &stored_dim) || stored_dim != dim) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", store.dir().string(), " holds embeddings of dimension ",
        **stored, ", the service is configured for ", dim));
  }
  return absl::OkStatus();
}

index::IndexChange UserChangeOf(const v1::User& user) {
  index::IndexChange change;
  change.id = user.id();
  change.vector.assign(user.embedding().begin(), user.embedding().end());
  if (!user.region().empty()) change.attributes.regions = {user.region()};
  return change;
}

// Users change less often than they are read and have no change log: the
// user index is rebuilt from the store at every open.
absl::StatusOr<std::unique_ptr<index::VectorIndex>> BuildUserIndex(
    const store::FeatureStore& store, const index::IndexOptions& options) {
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
      index::VectorIndex::Create(options);
  if (!index.ok()) return index.status();
  std::vector<index::IndexChange> batch;
  auto flush = [&]() {
    absl::Status s = (*index)->Apply(batch, 0);
    batch.clear();
    return s;
  };
  absl::Status scanned = store.ForEachUser([&](const v1::User& user) {
    if (user.embedding().empty()) return absl::OkStatus();
    batch.push_back(UserChangeOf(user));
    return batch.size() >= kReplayChunk ? flush() : absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  if (absl::Status s = flush(); !s.ok()) return s;
  if ((*index)->Stats().live > options.exact_search_max_candidates) {
    if (absl::Status s = (*index)->BuildMain(); !s.ok()) return s;
  }
  return index;
}

}  // namespace

Node::Node(NodeOptions options, std::unique_ptr<store::FeatureStore> store,
           std::unique_ptr<index::VectorIndex> user_index)
    : options_(std::move(options)),
      store_(std::move(store)),
      user_index_(std::move(user_index)) {
  limits_.dim = options_.index.dim;
}

Node::~Node() {
  stopping_ = true;
  if (cache_warmer_.joinable()) cache_warmer_.join();
  // The compactor locks item_write_mu_; it must stop before the mutex goes.
  items_.reset();
}

void Node::WarmItemCache() {
  LowerThisThreadsPriority();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<store::FeatureStore::CacheWarmth> warmth =
      store_->WarmItemCache(stopping_);
  if (!warmth.ok()) {
    // The cache then fills as requests read; serving is unaffected.
    std::fprintf(stderr, "zhongcao: warming the item cache failed: %s\n",
                 warmth.status().ToString().c_str());
    return;
  }
  if (stopping_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr,
               "zhongcao: item cache warmed: %lld items read, %.0f MiB held, %.1f s\n",
               static_cast<long long>(warmth->items),
               static_cast<double>(warmth->bytes) / (1 << 20), seconds);
}

absl::StatusOr<std::unique_ptr<Node>> Node::Open(const NodeOptions& options) {
  std::error_code ec;
  fs::create_directories(options.data_dir / "index", ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create data directory ", options.data_dir.string(), ": ", ec.message()));
  }
  store::StoreOptions store_options;
  store_options.dir = options.data_dir / "store";
  store_options.history_limit = options.history_limit;
  store_options.covisit_window = options.covisit_window;
  store_options.covisit_backward = options.covisit_backward;
  store_options.covisit_tau_ms =
      static_cast<int64_t>(options.covisit_tau_days * 24 * 3600 * 1000);
  store_options.covisit_row_limit = options.covisit_row_limit;
  store_options.trending_tau_ms =
      static_cast<int64_t>(options.trending_tau_hours * 3600 * 1000);
  store_options.sync_writes = options.sync_writes;
  store_options.outcome_log = options.exposure_log;
  store_options.item_cache_bytes = options.item_cache_bytes;
  store_options.block_cache_bytes = options.block_cache_bytes;
  absl::StatusOr<std::unique_ptr<store::FeatureStore>> store =
      store::FeatureStore::Open(store_options);
  if (!store.ok()) return store.status();
  if (absl::Status s = CheckDimension(**store, options.index.dim); !s.ok()) return s;

  absl::StatusOr<std::unique_ptr<index::VectorIndex>> users =
      BuildUserIndex(**store, options.index);
  if (!users.ok()) return users.status();
  std::unique_ptr<Node> node(new Node(options, *std::move(store), *std::move(users)));
  IndexVersionsOptions versions;
  versions.dir = options.data_dir / "index";
  versions.index = options.index;
  versions.snapshots_to_keep = options.snapshots_to_keep;
  versions.compact_growing_at = options.compact_growing_at;
  versions.compact_dead_fraction = options.compact_dead_fraction;
  versions.compaction_threads = options.compaction_threads;
  absl::StatusOr<std::unique_ptr<IndexVersions>> items =
      IndexVersions::Open(*node->store_, node->item_write_mu_, std::move(versions));
  if (!items.ok()) return items.status();
  node->items_ = *std::move(items);
  node->items_->StartCompactor();
  if (options.exposure_log) {
    node->exposure_log_ =
        std::make_unique<store::ExposureLog>(node->store_.get(), options.exposures);
  }
  if (options.warm_item_cache) {
    node->cache_warmer_ = std::thread([raw = node.get()] { raw->WarmItemCache(); });
  }
  return node;
}

absl::Status Node::UpsertItems(std::vector<v1::Item> items, bool validate_only) {
  if (absl::Status s = ValidateBatchSize(items.size(), limits_.max_batch, "items");
      !s.ok()) {
    return s;
  }
  const int64_t now = NowMs();
  for (size_t i = 0; i < items.size(); ++i) {
    if (absl::Status s = ValidateItem(items[i], absl::StrCat("items[", i, "]"), limits_);
        !s.ok()) {
      return s;
    }
    if (items[i].created_at_ms() == 0) items[i].set_created_at_ms(now);
  }
  if (validate_only) return absl::OkStatus();
  std::vector<index::IndexChange> changes;
  changes.reserve(items.size());
  for (const v1::Item& item : items) {
    changes.push_back(item.embedding().empty() ? ItemRemovalOf(item.id())
                                               : ItemChangeOf(item));
  }
  absl::Status applied;
  {
    absl::MutexLock lock(&item_write_mu_);
    absl::StatusOr<store::ItemWriteResult> written =
        store_->UpsertItems(items, store::FeatureStore::Durability::kDeferred);
    if (!written.ok()) return written.status();
    applied = ApplyItemChanges(changes, written->sequence);
  }
  return AwaitItemWrite(std::move(applied));
}

absl::StatusOr<int> Node::DeleteItems(std::span<const std::string> ids,
                                      bool validate_only) {
  if (absl::Status s = ValidateBatchSize(ids.size(), limits_.max_batch, "item_ids");
      !s.ok()) {
    return s;
  }
  std::vector<index::IndexChange> changes;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (absl::Status s = ValidateId(ids[i], absl::StrCat("item_ids[", i, "]"), limits_);
        !s.ok()) {
      return s;
    }
    changes.push_back(ItemRemovalOf(ids[i]));
  }
  if (validate_only) {
    absl::StatusOr<std::vector<size_t>> missing = store_->MissingItems(ids);
    if (!missing.ok()) return missing.status();
    std::set<std::string_view> existing;
    for (size_t i = 0, m = 0; i < ids.size(); ++i) {
      if (m < missing->size() && (*missing)[m] == i) {
        ++m;
      } else {
        existing.insert(ids[i]);
      }
    }
    return static_cast<int>(existing.size());
  }
  absl::Status applied;
  int changed = 0;
  {
    absl::MutexLock lock(&item_write_mu_);
    absl::StatusOr<store::ItemWriteResult> written =
        store_->DeleteItems(ids, store::FeatureStore::Durability::kDeferred);
    if (!written.ok()) return written.status();
    changed = written->changed;
    applied = ApplyItemChanges(changes, written->sequence);
  }
  if (absl::Status s = AwaitItemWrite(std::move(applied)); !s.ok()) return s;
  return changed;
}

absl::Status Node::UpsertUsers(std::span<const v1::User> users, bool validate_only) {
  if (absl::Status s = ValidateBatchSize(users.size(), limits_.max_batch, "users");
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < users.size(); ++i) {
    if (absl::Status s = ValidateUser(users[i], absl::StrCat("users[", i, "]"), limits_);
        !s.ok()) {
      return s;
    }
  }
  if (validate_only) return absl::OkStatus();
  std::vector<index::IndexChange> changes;
  changes.reserve(users.size());
  for (const v1::User& user : users) changes.push_back(UserChangeOf(user));
  absl::MutexLock lock(&user_write_mu_);
  if (absl::Status s = store_->UpsertUsers(users); !s.ok()) return s;
  return user_index_->Apply(changes, 0);
}

absl::Status Node::UpsertCreators(std::span<const v1::Creator> creators,
                                  bool validate_only) {
  if (absl::Status s = ValidateBatchSize(creators.size(), limits_.max_batch, "creators");
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < creators.size(); ++i) {
    if (absl::Status s =
            ValidateCreator(creators[i], absl::StrCat("creators[", i, "]"), limits_);
        !s.ok()) {
      return s;
    }
  }
  if (validate_only) return absl::OkStatus();
  return store_->UpsertCreators(creators);
}

absl::Status Node::RecordEvents(std::vector<v1::Event> events, bool validate_only) {
  if (absl::Status s = ValidateBatchSize(events.size(), limits_.max_events, "events");
      !s.ok()) {
    return s;
  }
  const int64_t now = NowMs();
  std::vector<std::string> item_ids;
  item_ids.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s =
            ValidateEvent(events[i], absl::StrCat("events[", i, "]"), limits_);
        !s.ok()) {
      return s;
    }
    if (events[i].timestamp_ms() == 0) events[i].set_timestamp_ms(now);
    // A clock far ahead would let one event rule the trends for weeks.
    if (events[i].timestamp_ms() > now + kMaxClockSkewMs) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "].timestamp_ms: ", events[i].timestamp_ms(),
                       " is more than 5 minutes ahead of the server clock (", now, ")"));
    }
    item_ids.push_back(events[i].item_id());
  }
  // Item writes wait while events are checked and written, so an item
  // deleted meanwhile cannot be given counters and trends again.
  absl::ReaderMutexLock lock(&item_write_mu_);
  // Under the lock the serving index holds exactly the stored items that
  // have an embedding (writes and version swaps both take it exclusively),
  // so only the others need the store: its lookups were 14% of
  // RecordEvents' CPU at 1M items.
  const std::vector<size_t> unindexed = index()->Absent(item_ids);
  std::vector<std::string> unindexed_ids;
  unindexed_ids.reserve(unindexed.size());
  for (size_t i : unindexed) unindexed_ids.push_back(item_ids[i]);
  absl::StatusOr<std::vector<size_t>> missing = store_->MissingItems(unindexed_ids);
  if (!missing.ok()) return missing.status();
  if (!missing->empty()) {
    const size_t i = unindexed[missing->front()];
    return absl::NotFoundError(absl::StrCat("events[", i, "].item_id: item \"",
                                            item_ids[i], "\" does not exist"));
  }
  if (validate_only) return absl::OkStatus();
  return store_->RecordEvents(events);
}

namespace {

constexpr char kLastSyncKey[] = "last_sync_ms";

// The checks of SetItemEmbeddings and SetUserEmbeddings that need no store.
absl::Status ValidateEmbeddingUpdates(std::span<const EmbeddingUpdate> updates,
                                      const Limits& limits) {
  if (absl::Status s = ValidateBatchSize(updates.size(), limits.max_batch, "embeddings");
      !s.ok()) {
    return s;
  }
  absl::flat_hash_map<std::string_view, size_t> first;
  for (size_t i = 0; i < updates.size(); ++i) {
    const std::string at = absl::StrCat("embeddings[", i, "]");
    if (absl::Status s = ValidateId(updates[i].id, at + ".id", limits); !s.ok()) return s;
    // A repeat would make the result depend on order within one call.
    if (auto [it, inserted] = first.try_emplace(updates[i].id, i); !inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".id: repeats embeddings[", it->second, "].id"));
    }
    if (absl::Status s = ValidateEmbedding(updates[i].values, at + ".values", limits,
                                           /*required=*/true);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Node::SetItemEmbeddings(std::span<const EmbeddingUpdate> updates,
                                     bool validate_only) {
  if (absl::Status s = ValidateEmbeddingUpdates(updates, limits_); !s.ok()) return s;
  std::vector<std::string> ids;
  ids.reserve(updates.size());
  for (const EmbeddingUpdate& update : updates) ids.push_back(update.id);
  // Held from the read to the write, so that no upsert of the same items
  // in between is lost.
  absl::ReleasableMutexLock lock(&item_write_mu_);
  // Without their embeddings, which are replaced below anyway.
  absl::StatusOr<std::vector<store::ItemRecord>> records = store_->ReadItems(ids);
  if (!records.ok()) return records.status();
  std::vector<v1::Item> items;
  items.reserve(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    const std::shared_ptr<const v1::Item>& stored = (*records)[i].item;
    if (stored == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("embeddings[", i, "].id: item \"", ids[i], "\" does not exist"));
    }
    v1::Item& item = items.emplace_back(*stored);
    item.mutable_embedding()->Assign(updates[i].values.begin(), updates[i].values.end());
  }
  if (validate_only) return absl::OkStatus();
  std::vector<index::IndexChange> changes;
  changes.reserve(items.size());
  for (const v1::Item& item : items) changes.push_back(ItemChangeOf(item));
  absl::StatusOr<store::ItemWriteResult> written =
      store_->UpsertItems(items, store::FeatureStore::Durability::kDeferred);
  if (!written.ok()) return written.status();
  absl::Status applied = ApplyItemChanges(changes, written->sequence);
  lock.Release();
  return AwaitItemWrite(std::move(applied));
}

absl::Status Node::SetUserEmbeddings(std::span<const EmbeddingUpdate> updates,
                                     bool validate_only) {
  if (absl::Status s = ValidateEmbeddingUpdates(updates, limits_); !s.ok()) return s;
  if (validate_only) return absl::OkStatus();
  // Held from the read to the write, so that no upsert of the same users
  // in between is lost.
  absl::MutexLock lock(&user_write_mu_);
  std::vector<v1::User> users;
  users.reserve(updates.size());
  for (const EmbeddingUpdate& update : updates) {
    absl::StatusOr<store::UserRecord> record = store_->ReadUser(update.id);
    if (!record.ok()) return record.status();
    v1::User user;
    if (record->user.has_value()) {
      user = *std::move(record->user);
    } else {
      user.set_id(update.id);
    }
    user.mutable_embedding()->Assign(update.values.begin(), update.values.end());
    users.push_back(std::move(user));
  }
  std::vector<index::IndexChange> changes;
  changes.reserve(users.size());
  for (const v1::User& user : users) changes.push_back(UserChangeOf(user));
  if (absl::Status s = store_->UpsertUsers(users); !s.ok()) return s;
  return user_index_->Apply(changes, 0);
}

absl::Status Node::Sync() {
  // RocksDB fsyncs its whole write-ahead log for a synced write, so one
  // synced write (the meta store always syncs) makes all earlier ones durable.
  return store_->PutMeta(kLastSyncKey, absl::StrCat(NowMs()));
}

absl::Status Node::AwaitItemWrite(absl::Status applied) {
  absl::Status synced = store_->SyncWrites();
  return applied.ok() ? synced : applied;
}

absl::Status Node::ApplyItemChanges(std::span<const index::IndexChange> changes,
                                    uint64_t sequence) {
  return items_->Apply(changes, sequence);
}

}  // namespace zhongcao::service
