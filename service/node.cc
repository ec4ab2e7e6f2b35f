#include "service/node.h"

#include <chrono>
#include <cstdio>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "index/durable_file.h"

namespace zhongcao::service {
namespace fs = std::filesystem;
namespace {

constexpr char kDimensionKey[] = "dimension";
constexpr char kTrimmedThroughKey[] = "change_log_trimmed_through";
constexpr char kCurrentFile[] = "CURRENT";
constexpr size_t kReplayChunk = 1000;
constexpr int64_t kMaxClockSkewMs = 5 * 60 * 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The snapshot versions in `dir`, as numbers, oldest first.
std::vector<uint64_t> SnapshotNumbers(const fs::path& dir) {
  std::vector<uint64_t> numbers;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    absl::string_view digits = name;
    uint64_t n;
    if (absl::ConsumePrefix(&digits, "v") && absl::SimpleAtoi(digits, &n) &&
        entry.is_directory()) {
      numbers.push_back(n);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::string VersionName(uint64_t n) { return absl::StrFormat("v%06d", n); }

index::IndexChange ChangeOf(const v1::Item& item) {
  index::IndexChange change;
  change.id = item.id();
  change.vector.assign(item.embedding().begin(), item.embedding().end());
  change.attributes = IndexAttributesOf(item);
  return change;
}

index::IndexChange RemovalOf(const std::string& id) {
  index::IndexChange change;
  change.id = id;
  return change;
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

// Applies the current store state of `ids` to the index.
absl::Status ReplayItems(const store::FeatureStore& store, index::VectorIndex& index,
                         const std::vector<std::string>& ids, uint64_t watermark) {
  for (size_t start = 0; start < ids.size(); start += kReplayChunk) {
    std::span<const std::string> chunk(ids.data() + start,
                                       std::min(kReplayChunk, ids.size() - start));
    absl::StatusOr<std::vector<store::ItemRecord>> records = store.ReadItems(chunk);
    if (!records.ok()) return records.status();
    std::vector<index::IndexChange> changes;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const std::optional<v1::Item>& item = (*records)[i].item;
      changes.push_back(item.has_value() ? ChangeOf(*item) : RemovalOf(chunk[i]));
    }
    if (absl::Status s = index.Apply(changes, watermark); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<index::VectorIndex>> RebuildFromStore(
    const store::FeatureStore& store, const index::IndexOptions& options) {
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
      index::VectorIndex::Create(options);
  if (!index.ok()) return index.status();
  const uint64_t watermark = store.LastSequence();
  std::vector<index::IndexChange> batch;
  auto flush = [&]() {
    absl::Status s = (*index)->Apply(batch, watermark);
    batch.clear();
    return s;
  };
  absl::Status scanned = store.ForEachItem([&](const v1::Item& item) {
    if (item.embedding().empty()) return absl::OkStatus();
    batch.push_back(ChangeOf(item));
    return batch.size() >= kReplayChunk ? flush() : absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  if (absl::Status s = flush(); !s.ok()) return s;
  if ((*index)->Stats().live > 0) {
    if (absl::Status s = (*index)->BuildMain(); !s.ok()) return s;
  }
  return index;
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

index::ItemAttributes IndexAttributesOf(const v1::Item& item) {
  index::ItemAttributes attributes;
  attributes.kind = static_cast<uint8_t>(item.kind());
  attributes.regions.assign(item.regions().begin(), item.regions().end());
  attributes.available = !item.unavailable() && (item.kind() != v1::ITEM_KIND_PRODUCT ||
                                                 item.product().stock() > 0);
  return attributes;
}

Node::Node(NodeOptions options, std::unique_ptr<store::FeatureStore> store,
           std::unique_ptr<index::VectorIndex> index,
           std::unique_ptr<index::VectorIndex> user_index)
    : options_(std::move(options)),
      store_(std::move(store)),
      index_(std::move(index)),
      user_index_(std::move(user_index)) {
  limits_.dim = options_.index.dim;
}

Node::~Node() = default;

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
  store_options.sync_writes = options.sync_writes;
  absl::StatusOr<std::unique_ptr<store::FeatureStore>> store =
      store::FeatureStore::Open(store_options);
  if (!store.ok()) return store.status();
  if (absl::Status s = CheckDimension(**store, options.index.dim); !s.ok()) return s;

  // The store is the source of truth; a snapshot only saves a rebuild. Any
  // snapshot that cannot be used is reported and replaced.
  const fs::path index_dir = options.data_dir / "index";
  std::unique_ptr<index::VectorIndex> index;
  absl::StatusOr<std::string> current = index::ReadWholeFile(index_dir / kCurrentFile);
  if (current.ok()) {
    const std::string name(absl::StripAsciiWhitespace(*current));
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> loaded =
        index::VectorIndex::LoadSnapshot(index_dir / name, options.index);
    absl::StatusOr<std::optional<std::string>> trimmed =
        (*store)->GetMeta(kTrimmedThroughKey);
    if (!trimmed.ok()) return trimmed.status();
    uint64_t trimmed_through = 0;
    if (trimmed->has_value()) absl::SimpleAtoi(**trimmed, &trimmed_through);
    if (!loaded.ok()) {
      std::fprintf(stderr, "zhongcao: index snapshot %s unusable (%s); rebuilding\n",
                   name.c_str(), loaded.status().ToString().c_str());
    } else if ((*loaded)->Stats().watermark < trimmed_through) {
      std::fprintf(stderr,
                   "zhongcao: index snapshot %s predates the change log; rebuilding\n",
                   name.c_str());
    } else {
      index = *std::move(loaded);
    }
  }
  bool rebuilt = false;
  if (index == nullptr) {
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> built =
        RebuildFromStore(**store, options.index);
    if (!built.ok()) return built.status();
    index = *std::move(built);
    rebuilt = true;
  } else {
    absl::StatusOr<std::vector<std::string>> changed =
        (*store)->ItemsChangedAfter(index->Stats().watermark);
    if (!changed.ok()) return changed.status();
    if (absl::Status s = ReplayItems(**store, *index, *changed, (*store)->LastSequence());
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> users =
      BuildUserIndex(**store, options.index);
  if (!users.ok()) return users.status();
  std::unique_ptr<Node> node(
      new Node(options, *std::move(store), std::move(index), *std::move(users)));
  if (rebuilt && node->index_->Stats().live > 0) {
    if (absl::Status s = node->SaveSnapshot(); !s.ok()) return s;
  }
  return node;
}

absl::Status Node::UpsertItems(std::vector<v1::Item> items) {
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
  std::vector<index::IndexChange> changes;
  changes.reserve(items.size());
  for (const v1::Item& item : items) {
    changes.push_back(item.embedding().empty() ? RemovalOf(item.id()) : ChangeOf(item));
  }
  absl::MutexLock lock(&item_write_mu_);
  absl::StatusOr<store::ItemWriteResult> written = store_->UpsertItems(items);
  if (!written.ok()) return written.status();
  return index_->Apply(changes, written->sequence);
}

absl::StatusOr<int> Node::DeleteItems(std::span<const std::string> ids) {
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
    changes.push_back(RemovalOf(ids[i]));
  }
  absl::MutexLock lock(&item_write_mu_);
  absl::StatusOr<store::ItemWriteResult> written = store_->DeleteItems(ids);
  if (!written.ok()) return written.status();
  if (absl::Status s = index_->Apply(changes, written->sequence); !s.ok()) return s;
  return written->changed;
}

absl::Status Node::UpsertUsers(std::span<const v1::User> users) {
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
  std::vector<index::IndexChange> changes;
  changes.reserve(users.size());
  for (const v1::User& user : users) changes.push_back(UserChangeOf(user));
  absl::MutexLock lock(&user_write_mu_);
  if (absl::Status s = store_->UpsertUsers(users); !s.ok()) return s;
  return user_index_->Apply(changes, 0);
}

absl::Status Node::UpsertCreators(std::span<const v1::Creator> creators) {
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
  return store_->UpsertCreators(creators);
}

absl::Status Node::RecordEvents(std::vector<v1::Event> events) {
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
  absl::StatusOr<std::vector<size_t>> missing = store_->MissingItems(item_ids);
  if (!missing.ok()) return missing.status();
  if (!missing->empty()) {
    const size_t i = missing->front();
    return absl::NotFoundError(absl::StrCat("events[", i, "].item_id: item \"",
                                            item_ids[i], "\" does not exist"));
  }
  return store_->RecordEvents(events);
}

absl::Status Node::BuildIndex() {
  absl::MutexLock lock(&item_write_mu_);
  return index_->BuildMain();
}

absl::Status Node::SaveSnapshot() {
  // Item writes wait so that the snapshot's watermark and the change log
  // agree; searches go on.
  absl::MutexLock lock(&item_write_mu_);
  const fs::path index_dir = options_.data_dir / "index";
  const std::vector<uint64_t> existing = SnapshotNumbers(index_dir);
  const std::string version = VersionName(existing.empty() ? 1 : existing.back() + 1);
  if (absl::Status s = index_->SaveSnapshot(index_dir / version, version); !s.ok()) {
    return s;
  }
  const fs::path tmp = index_dir / (std::string(kCurrentFile) + ".tmp");
  if (absl::Status s = index::WriteFileDurably(tmp, version + "\n"); !s.ok()) return s;
  std::error_code ec;
  fs::rename(tmp, index_dir / kCurrentFile, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot switch CURRENT: ", ec.message()));
  if (absl::Status s = index::SyncPath(index_dir); !s.ok()) return s;

  const uint64_t watermark = index_->Stats().watermark;
  if (absl::Status s = store_->PutMeta(kTrimmedThroughKey, absl::StrCat(watermark));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = store_->TrimChangesThrough(watermark); !s.ok()) return s;
  std::vector<uint64_t> all = SnapshotNumbers(index_dir);
  for (size_t i = 0; i + options_.snapshots_to_keep < all.size(); ++i) {
    fs::remove_all(index_dir / VersionName(all[i]), ec);
  }
  return absl::OkStatus();
}

}  // namespace zhongcao::service
