#include "service/index_versions.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "index/durable_file.h"
#include "service/background_priority.h"
#include "service/item_changes.h"

namespace zhongcao::service {
namespace fs = std::filesystem;
namespace {

constexpr char kCurrentFile[] = "CURRENT";
constexpr char kPreviousFile[] = "PREVIOUS";
constexpr char kTrimmedThroughKey[] = "change_log_trimmed_through";
constexpr size_t kReplayChunk = 1000;
// Catch-up passes made while writers go on; the last one, under the write
// lock, then has only what arrived during the one before.
constexpr int kUnlockedReplayPasses = 4;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string VersionName(uint64_t n) { return absl::StrFormat("v%06d", n); }

// The snapshot versions in `dir`, as numbers, oldest first.
std::vector<uint64_t> SnapshotNumbers(const fs::path& dir) {
  std::vector<uint64_t> numbers;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
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

// The name a pointer file (CURRENT, PREVIOUS) holds; "" when it is absent.
std::string ReadPointer(const fs::path& file) {
  absl::StatusOr<std::string> text = index::ReadWholeFile(file);
  if (!text.ok()) return "";
  return std::string(absl::StripAsciiWhitespace(*text));
}

absl::Status WritePointer(const fs::path& dir, const char* file,
                          const std::string& name) {
  const fs::path tmp = dir / (std::string(file) + ".tmp");
  if (name.empty()) {
    std::error_code ec;
    fs::remove(dir / file, ec);
    return index::SyncPath(dir);
  }
  if (absl::Status s = index::WriteFileDurably(tmp, name + "\n"); !s.ok()) return s;
  std::error_code ec;
  fs::rename(tmp, dir / file, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot write ", file, ": ", ec.message()));
  }
  return index::SyncPath(dir);
}

absl::StatusOr<uint64_t> TrimmedThrough(const store::FeatureStore& store) {
  absl::StatusOr<std::optional<std::string>> trimmed = store.GetMeta(kTrimmedThroughKey);
  if (!trimmed.ok()) return trimmed.status();
  uint64_t through = 0;
  if (trimmed->has_value()) absl::SimpleAtoi(**trimmed, &through);
  return through;
}

// Applies the store's current state of `ids` to `index`.
absl::Status ReplayItems(const store::FeatureStore& store, index::VectorIndex& index,
                         const std::vector<std::string>& ids, uint64_t watermark) {
  for (size_t start = 0; start < ids.size(); start += kReplayChunk) {
    std::span<const std::string> chunk(ids.data() + start,
                                       std::min(kReplayChunk, ids.size() - start));
    absl::StatusOr<std::vector<store::ItemRecord>> records =
        store.ReadItemsWithEmbeddings(chunk);
    if (!records.ok()) return records.status();
    std::vector<index::IndexChange> changes;
    changes.reserve(chunk.size());
    for (size_t i = 0; i < chunk.size(); ++i) {
      const std::shared_ptr<const v1::Item>& item = (*records)[i].item;
      changes.push_back(item != nullptr ? ItemChangeOf(*item) : ItemRemovalOf(chunk[i]));
    }
    if (absl::Status s = index.Apply(changes, watermark); !s.ok()) return s;
  }
  // An empty replay still moves the watermark: the index is current to it.
  return ids.empty() ? index.Apply({}, watermark) : absl::OkStatus();
}

// Replays every item change after `*from`; leaves `*from` at the sequence
// now covered and adds the number of items replayed to `*replayed`.
absl::Status ReplayChangesAfter(const store::FeatureStore& store,
                                index::VectorIndex& index, uint64_t* from,
                                int64_t* replayed) {
  // Read the sequence first: changes up to it are certainly in the list.
  const uint64_t upto = store.LastSequence();
  absl::StatusOr<std::vector<std::string>> changed = store.ItemsChangedAfter(*from);
  if (!changed.ok()) return changed.status();
  if (absl::Status s = ReplayItems(store, index, *changed, upto); !s.ok()) return s;
  *replayed += changed->size();
  *from = upto;
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
    batch.push_back(ItemChangeOf(item));
    return batch.size() >= kReplayChunk ? flush() : absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  if (absl::Status s = flush(); !s.ok()) return s;
  if ((*index)->Stats().live > 0) {
    if (absl::Status s = (*index)->BuildMain(); !s.ok()) return s;
  }
  return index;
}

// Copies the flat snapshot directory `from` to `to` durably: into a
// temporary directory first, renamed once every file is synced.
absl::Status CopySnapshot(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return absl::NotFoundError(
        absl::StrCat("path: ", from.string(), " is not a snapshot directory"));
  }
  const fs::path tmp = to.string() + ".tmp";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) {
    return absl::InternalError(absl::StrCat("cannot create ", tmp.string()));
  }
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file()) continue;
    const fs::path target = tmp / entry.path().filename();
    // A hard link when both are on one filesystem: a snapshot is immutable
    // once written, and copying a gigabyte costs a core and the disk.
    fs::create_hard_link(entry.path(), target, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(entry.path(), target, ec);
    }
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot copy ", entry.path().string(), ": ", ec.message()));
    }
    if (absl::Status s = index::SyncPath(target); !s.ok()) return s;
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot read ", from.string(), ": ", ec.message()));
  }
  if (absl::Status s = index::SyncPath(tmp); !s.ok()) return s;
  fs::rename(tmp, to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp.string()));
  return index::SyncPath(to.parent_path());
}

// Frees a replaced version off the request path: the last request holding
// it would otherwise pay for releasing hundreds of megabytes.
void Retire(std::shared_ptr<const index::IndexVersion> old) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (old.use_count() > 1 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

IndexVersions::IndexVersions(store::FeatureStore& store, absl::Mutex& write_mu,
                             IndexVersionsOptions options,
                             std::shared_ptr<const index::IndexVersion> initial)
    : store_(store),
      write_mu_(write_mu),
      options_(std::move(options)),
      serving_(std::move(initial)) {}

IndexVersions::~IndexVersions() {
  {
    absl::MutexLock lock(&compactor_mu_);
    stopping_ = true;
  }
  if (compactor_.joinable()) compactor_.join();
}

absl::StatusOr<std::unique_ptr<IndexVersions>> IndexVersions::Open(
    store::FeatureStore& store, absl::Mutex& write_mu, IndexVersionsOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", options.dir.string(), ": ", ec.message()));
  }
  absl::StatusOr<uint64_t> trimmed = TrimmedThrough(store);
  if (!trimmed.ok()) return trimmed.status();

  // The store is the source of truth; a snapshot only saves a rebuild. Any
  // snapshot that cannot be used is reported and replaced.
  const std::string current = ReadPointer(options.dir / kCurrentFile);
  std::unique_ptr<index::VectorIndex> loaded;
  if (!current.empty()) {
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> read =
        index::VectorIndex::LoadSnapshot(options.dir / current, options.index);
    if (!read.ok()) {
      std::fprintf(stderr, "zhongcao: index snapshot %s unusable (%s); rebuilding\n",
                   current.c_str(), read.status().ToString().c_str());
    } else if ((*read)->Stats().watermark < *trimmed) {
      std::fprintf(stderr,
                   "zhongcao: index snapshot %s predates the change log; rebuilding\n",
                   current.c_str());
    } else {
      loaded = *std::move(read);
    }
  }
  const bool rebuild = loaded == nullptr;
  if (rebuild) {
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> built =
        RebuildFromStore(store, options.index);
    if (!built.ok()) return built.status();
    loaded = *std::move(built);
  } else {
    uint64_t from = loaded->Stats().watermark;
    int64_t replayed = 0;
    if (absl::Status s = ReplayChangesAfter(store, *loaded, &from, &replayed); !s.ok()) {
      return s;
    }
  }
  auto initial = std::make_shared<index::IndexVersion>();
  initial->name = rebuild ? "" : current;
  initial->index = std::move(loaded);
  std::unique_ptr<IndexVersions> versions(
      new IndexVersions(store, write_mu, std::move(options), std::move(initial)));
  {
    absl::MutexLock lock(&versions->info_mu_);
    versions->origin_ = rebuild ? "rebuild" : "open";
    versions->serving_since_ms_ = NowMs();
    const std::string previous = ReadPointer(versions->options_.dir / kPreviousFile);
    if (!previous.empty() && fs::is_directory(versions->options_.dir / previous)) {
      versions->previous_ = previous;
    }
  }
  if (rebuild) {
    // Every serving version has a snapshot, so it can be rolled back to.
    if (absl::Status s = versions->SaveSnapshot(); !s.ok()) return s;
  }
  return versions;
}

absl::Status IndexVersions::Apply(std::span<const index::IndexChange> changes,
                                  uint64_t sequence) {
  absl::Status applied = Current()->index->Apply(changes, sequence);
  if (options_.compact_growing_at > 0) {
    absl::MutexLock lock(&compactor_mu_);
    wake_ = true;
  }
  return applied;
}

std::string IndexVersions::NextName() const {
  const std::vector<uint64_t> existing = SnapshotNumbers(options_.dir);
  return VersionName(existing.empty() ? 1 : existing.back() + 1);
}

absl::StatusOr<SwapReport> IndexVersions::Load(const fs::path& path) {
  absl::MutexLock lock(&swap_mu_);
  const auto start = std::chrono::steady_clock::now();
  // A bare name is a snapshot this node already holds.
  const bool local = !path.has_parent_path() && !path.empty() &&
                     path.string().front() == 'v' &&
                     fs::is_directory(options_.dir / path);
  std::string name;
  if (local) {
    name = path.string();
    if (name == Current()->name) {
      return absl::FailedPreconditionError(
          absl::StrCat("path: ", name, " is already serving"));
    }
  } else {
    name = NextName();
    if (absl::Status s = CopySnapshot(path, options_.dir / name); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> loaded =
      index::VectorIndex::LoadSnapshot(options_.dir / name, options_.index);
  absl::StatusOr<SwapReport> report =
      loaded.ok() ? CatchUpAndSwap(*std::move(loaded), name, "load", start)
                  : loaded.status();
  if (!report.ok()) {
    std::error_code ec;
    if (!local) fs::remove_all(options_.dir / name, ec);
    return report.status();
  }
  return report;
}

absl::StatusOr<SwapReport> IndexVersions::Rollback() {
  absl::MutexLock lock(&swap_mu_);
  const auto start = std::chrono::steady_clock::now();
  const std::string name = PreviousName();
  if (name.empty()) {
    return absl::FailedPreconditionError("there is no previous index version");
  }
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> loaded =
      index::VectorIndex::LoadSnapshot(options_.dir / name, options_.index);
  if (!loaded.ok()) return loaded.status();
  return CatchUpAndSwap(*std::move(loaded), name, "rollback", start);
}

absl::StatusOr<SwapReport> IndexVersions::Compact() {
  absl::MutexLock lock(&swap_mu_);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> built =
      Current()->index->Compacted(options_.compaction_threads);
  if (!built.ok()) return built.status();
  const std::string name = NextName();
  if (absl::Status s = SyncBeforeSnapshot(); !s.ok()) return s;
  if (absl::Status s = (*built)->SaveSnapshot(options_.dir / name, name); !s.ok()) {
    return s;
  }
  absl::StatusOr<SwapReport> report =
      CatchUpAndSwap(*std::move(built), name, "compaction", start);
  if (!report.ok()) {
    std::error_code ec;
    fs::remove_all(options_.dir / name, ec);
    return report.status();
  }
  return report;
}

absl::StatusOr<SwapReport> IndexVersions::CatchUpAndSwap(
    std::shared_ptr<index::VectorIndex> next, const std::string& name,
    const std::string& origin, std::chrono::steady_clock::time_point start) {
  uint64_t from = next->Stats().watermark;
  absl::StatusOr<uint64_t> trimmed = TrimmedThrough(store_);
  if (!trimmed.ok()) return trimmed.status();
  if (from < *trimmed) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", name, " has watermark ", from,
                     ", older than this node's change log (kept after ", *trimmed,
                     "): build it from newer data"));
  }
  if (from > store_.LastSequence()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", name, " has watermark ", from, ", ahead of this node's data (",
        store_.LastSequence(), "): it was built from another data directory"));
  }
  int64_t replayed = 0;
  for (int pass = 0; pass < kUnlockedReplayPasses; ++pass) {
    const int64_t before = replayed;
    if (absl::Status s = ReplayChangesAfter(store_, *next, &from, &replayed); !s.ok()) {
      return s;
    }
    if (replayed - before < static_cast<int64_t>(kReplayChunk)) break;
  }
  auto version = std::make_shared<index::IndexVersion>();
  version->name = name;
  version->index = std::move(next);
  std::shared_ptr<const index::IndexVersion> old;
  {
    absl::MutexLock write_lock(&write_mu_);
    if (absl::Status s = ReplayChangesAfter(store_, *version->index, &from, &replayed);
        !s.ok()) {
      return s;
    }
    old = serving_.Swap(version);
  }
  {
    absl::MutexLock lock(&info_mu_);
    previous_ = old->name;
    origin_ = origin;
    serving_since_ms_ = NowMs();
  }
  // The swap has happened; a failure to record it only costs a replay of
  // the old CURRENT at the next start, so it is reported, not undone.
  absl::Status recorded = RecordVersions();
  Retire(std::move(old));
  if (!recorded.ok()) return recorded;
  SwapReport report;
  {
    absl::MutexLock lock(&info_mu_);
    report.serving = InfoOf(*version);
    report.previous = PreviousInfo();
  }
  report.replayed_items = replayed;
  report.millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  return report;
}

absl::Status IndexVersions::SyncBeforeSnapshot() {
  // Item writes reach the index before their fsync (Node::AwaitItemWrite).
  // A snapshot whose watermark is ahead of what the store keeps through a
  // crash would skip the change-log sequences the store hands out again.
  return store_.SyncWrites();
}

absl::Status IndexVersions::SaveSnapshot() {
  absl::MutexLock lock(&swap_mu_);
  std::shared_ptr<const index::IndexVersion> current = Current();
  if (!current->name.empty()) {
    // Nothing written since its snapshot: a restart would replay nothing.
    absl::StatusOr<index::SnapshotInfo> saved =
        index::VectorIndex::ReadSnapshotInfo(options_.dir / current->name);
    if (saved.ok() && saved->watermark == store_.LastSequence()) {
      return absl::OkStatus();
    }
  }
  const std::string name = NextName();
  {
    // Writers wait so that nothing lands between the save and the relabel.
    absl::MutexLock write_lock(&write_mu_);
    if (absl::Status s = SyncBeforeSnapshot(); !s.ok()) return s;
    if (absl::Status s = current->index->SaveSnapshot(options_.dir / name, name);
        !s.ok()) {
      return s;
    }
    auto relabelled = std::make_shared<index::IndexVersion>(*current);
    relabelled->name = name;
    serving_.Swap(std::move(relabelled));
  }
  // A fresh snapshot of the same serving index: what was previous stays so.
  return RecordVersions();
}

std::string IndexVersions::PreviousName() const {
  absl::MutexLock lock(&info_mu_);
  return previous_;
}

absl::Status IndexVersions::RecordVersions() {
  const std::string current = Current()->name;
  const std::string previous = PreviousName();
  if (absl::Status s = WritePointer(options_.dir, kCurrentFile, current); !s.ok()) {
    return s;
  }
  if (absl::Status s = WritePointer(options_.dir, kPreviousFile, previous); !s.ok()) {
    return s;
  }
  // Both versions must stay replayable: keep the change log back to the
  // older of their snapshots' watermarks.
  uint64_t keep_after = UINT64_MAX;
  for (const std::string& name : {current, previous}) {
    if (name.empty()) continue;
    absl::StatusOr<index::SnapshotInfo> info =
        index::VectorIndex::ReadSnapshotInfo(options_.dir / name);
    if (!info.ok()) return info.status();
    keep_after = std::min(keep_after, info->watermark);
  }
  absl::StatusOr<uint64_t> trimmed = TrimmedThrough(store_);
  if (!trimmed.ok()) return trimmed.status();
  if (keep_after != UINT64_MAX && keep_after > *trimmed) {
    if (absl::Status s = store_.PutMeta(kTrimmedThroughKey, absl::StrCat(keep_after));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = store_.TrimChangesThrough(keep_after); !s.ok()) return s;
  }
  const std::vector<uint64_t> all = SnapshotNumbers(options_.dir);
  std::error_code ec;
  for (size_t i = 0; i + options_.snapshots_to_keep < all.size(); ++i) {
    const std::string name = VersionName(all[i]);
    if (name != current && name != previous) fs::remove_all(options_.dir / name, ec);
  }
  return absl::OkStatus();
}

VersionInfo IndexVersions::InfoOf(const index::IndexVersion& version) const {
  const index::IndexStats stats = version.index->Stats();
  VersionInfo info;
  info.name = version.name;
  info.label = stats.version;
  info.vectors = stats.live;
  info.growing = stats.growing;
  info.factory = stats.factory;
  info.origin = origin_;
  info.serving_since_ms = serving_since_ms_;
  absl::StatusOr<index::SnapshotInfo> snapshot =
      index::VectorIndex::ReadSnapshotInfo(options_.dir / version.name);
  info.watermark = snapshot.ok() ? snapshot->watermark : stats.watermark;
  return info;
}

std::optional<VersionInfo> IndexVersions::PreviousInfo() const {
  if (previous_.empty()) return std::nullopt;
  VersionInfo info;
  info.name = previous_;
  absl::StatusOr<index::SnapshotInfo> snapshot =
      index::VectorIndex::ReadSnapshotInfo(options_.dir / previous_);
  if (snapshot.ok()) {
    info.label = snapshot->version;
    info.vectors = snapshot->live;
    info.watermark = snapshot->watermark;
    info.factory = snapshot->factory;
  }
  return info;
}

IndexVersionsStatus IndexVersions::Status() const {
  IndexVersionsStatus status;
  {
    absl::MutexLock lock(&info_mu_);
    status.serving = InfoOf(*Current());
    status.previous = PreviousInfo();
  }
  absl::MutexLock lock(&compactor_mu_);
  status.compactions = compactions_;
  status.compacting = compacting_;
  status.last_compaction_error = last_compaction_error_;
  return status;
}

bool IndexVersions::NeedsCompaction() const {
  const index::IndexStats stats = Current()->index->Stats();
  if (options_.compact_growing_at > 0 && stats.growing >= options_.compact_growing_at) {
    return true;
  }
  const int64_t held = stats.live + stats.dead;
  // A few removals in a small index are not worth a rebuild.
  return stats.dead >= 1000 &&
         static_cast<double>(stats.dead) >= options_.compact_dead_fraction * held;
}

void IndexVersions::StartCompactor() {
  if (options_.compact_growing_at <= 0 || compactor_.joinable()) return;
  compactor_ = std::thread([this] {
    LowerThisThreadsPriority();
    CompactorLoop();
  });
}

void IndexVersions::CompactorLoop() {
  absl::Duration backoff = absl::ZeroDuration();
  while (true) {
    {
      absl::MutexLock lock(&compactor_mu_);
      // Wakes on writes; checks at least every few seconds regardless.
      compactor_mu_.AwaitWithTimeout(
          absl::Condition(
              +[](IndexVersions* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                return self->stopping_ || self->wake_;
              },
              this),
          absl::Seconds(5));
      if (stopping_) return;
      wake_ = false;
      if (backoff > absl::ZeroDuration()) {
        // After a failure, do not spin on the same failure.
        compactor_mu_.AwaitWithTimeout(
            absl::Condition(
                +[](IndexVersions* self)
                     ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->stopping_; },
                this),
            backoff);
        if (stopping_) return;
      }
    }
    if (!NeedsCompaction()) continue;
    {
      absl::MutexLock lock(&compactor_mu_);
      compacting_ = true;
    }
    absl::StatusOr<SwapReport> report = Compact();
    absl::MutexLock lock(&compactor_mu_);
    compacting_ = false;
    if (report.ok()) {
      ++compactions_;
      last_compaction_error_.clear();
      backoff = absl::ZeroDuration();
    } else {
      last_compaction_error_ = report.status().ToString();
      std::fprintf(stderr, "zhongcao: background compaction failed: %s\n",
                   last_compaction_error_.c_str());
      backoff = std::min(absl::Minutes(5), std::max(absl::Seconds(10), backoff * 2));
    }
  }
}

}  // namespace zhongcao::service
