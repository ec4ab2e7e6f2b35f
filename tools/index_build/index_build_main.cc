// zhongcao_build_index: builds an item index snapshot offline, off the
// serving path, for a node to load with AdminService.LoadIndex.
//
//   zhongcao_build_index --data_dir=/srv/zhongcao --out=/tmp/nightly
//   zhongcao_build_index --vectors=items.npy --ids=items.ids --out=/tmp/bench
//
// From a data directory it reads every item with an embedding through a
// read-only view of the store (a server may be running on it), so the
// snapshot carries the items' filter attributes and the store's sequence
// as its watermark. From exported vectors it has ids and vectors only.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "index/vector_index.h"
#include "service/item_changes.h"
#include "store/feature_store.h"
#include "tools/import/progress.h"
#include "tools/vectors/vector_file.h"

ABSL_FLAG(std::string, data_dir, "", "Data directory to read items from (read-only)");
ABSL_FLAG(std::string, vectors, "", "Or: an .npy or .fvecs matrix of item vectors");
ABSL_FLAG(std::string, ids, "", "With --vectors: the ids file, one per row");
ABSL_FLAG(uint64_t, watermark, 0,
          "With --vectors: the store sequence the vectors reflect; a node replays "
          "item changes after it when loading the snapshot");
ABSL_FLAG(std::string, out, "", "Snapshot directory to write (must not exist)");
ABSL_FLAG(std::string, version, "",
          "Version label for the MANIFEST; default: build time");
ABSL_FLAG(std::string, factory, "HNSW32,Flat", "FAISS index_factory string");
ABSL_FLAG(int, hnsw_ef_construction, 80, "HNSW build breadth");
ABSL_FLAG(int, threads, 0, "Build threads; 0: all cores");

namespace {

using zhongcao::index::IndexChange;
using zhongcao::index::VectorIndex;
namespace fs = std::filesystem;

constexpr size_t kChunk = 10000;

absl::Status Fail(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

// Adds every item with an embedding in the store at `dir` to a new index.
absl::StatusOr<std::unique_ptr<VectorIndex>> FromDataDir(
    const fs::path& dir, zhongcao::index::IndexOptions options,
    zhongcao::tools::Progress& progress) {
  zhongcao::store::StoreOptions store_options;
  store_options.dir = dir / "store";
  store_options.read_only = true;
  store_options.block_cache_bytes = 64 << 20;
  absl::StatusOr<std::unique_ptr<zhongcao::store::FeatureStore>> store =
      zhongcao::store::FeatureStore::Open(store_options);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::optional<std::string>> dim = (*store)->GetMeta("dimension");
  if (!dim.ok()) return dim.status();
  if (!dim->has_value() || !absl::SimpleAtoi(**dim, &options.dim)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir.string(), " records no embedding dimension"));
  }
  absl::StatusOr<std::unique_ptr<VectorIndex>> index = VectorIndex::Create(options);
  if (!index.ok()) return index.status();
  // Read before the scan: the scan sees at least every change up to it.
  const uint64_t watermark = (*store)->LastSequence();
  const int64_t items = (*store)->counts().items();
  progress.Start("reading items", std::max<int64_t>(items, 1));
  std::vector<IndexChange> batch;
  int64_t read = 0;
  auto flush = [&]() {
    absl::Status s = (*index)->Apply(batch, watermark);
    batch.clear();
    progress.Update(read, read);
    return s;
  };
  absl::Status scanned =
      (*store)->ForEachItem([&](const zhongcao::v1::Item& item) -> absl::Status {
        ++read;
        if (item.embedding().empty()) return absl::OkStatus();
        batch.push_back(zhongcao::service::ItemChangeOf(item));
        return batch.size() >= kChunk ? flush() : absl::OkStatus();
      });
  if (!scanned.ok()) return scanned;
  if (absl::Status s = flush(); !s.ok()) return s;
  return index;
}

absl::StatusOr<std::unique_ptr<VectorIndex>> FromVectors(
    const fs::path& matrix, const fs::path& ids, uint64_t watermark,
    zhongcao::index::IndexOptions options, zhongcao::tools::Progress& progress) {
  absl::StatusOr<zhongcao::tools::VectorSet> set =
      zhongcao::tools::ReadVectorSet(matrix, ids);
  if (!set.ok()) return set.status();
  options.dim = set->dim;
  absl::StatusOr<std::unique_ptr<VectorIndex>> index = VectorIndex::Create(options);
  if (!index.ok()) return index.status();
  progress.Start("adding vectors", std::max<int64_t>(set->rows(), 1));
  std::vector<IndexChange> batch;
  for (int64_t row = 0; row < set->rows(); ++row) {
    IndexChange change;
    change.id = std::move(set->ids[row]);
    change.vector.assign(set->row(row), set->row(row) + set->dim);
    batch.push_back(std::move(change));
    if (batch.size() >= kChunk || row + 1 == set->rows()) {
      if (absl::Status s = (*index)->Apply(batch, watermark); !s.ok()) {
        return Fail(absl::StrCat(matrix.string(), ": ", s.message()));
      }
      batch.clear();
      progress.Update(row + 1, row + 1);
    }
  }
  return index;
}

absl::Status Run() {
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string vectors = absl::GetFlag(FLAGS_vectors);
  const fs::path out = absl::GetFlag(FLAGS_out);
  if (data_dir.empty() == vectors.empty()) {
    return Fail("give exactly one of --data_dir and --vectors");
  }
  if (!vectors.empty() && absl::GetFlag(FLAGS_ids).empty()) {
    return Fail("--vectors needs --ids");
  }
  if (out.empty()) return Fail("--out is required");
  if (fs::exists(out)) return Fail(absl::StrCat("--out ", out.string(), " exists"));
  std::string version = absl::GetFlag(FLAGS_version);
  if (version.empty()) {
    version = absl::StrCat(
        "build-", absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
  }
  zhongcao::index::IndexOptions options;
  options.factory = absl::GetFlag(FLAGS_factory);
  options.hnsw_ef_construction = absl::GetFlag(FLAGS_hnsw_ef_construction);
  options.build_threads = absl::GetFlag(FLAGS_threads);

  zhongcao::tools::Progress progress(std::cerr, isatty(STDERR_FILENO) == 1);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<VectorIndex>> index =
      data_dir.empty() ? FromVectors(vectors, absl::GetFlag(FLAGS_ids),
                                     absl::GetFlag(FLAGS_watermark), options, progress)
                       : FromDataDir(data_dir, options, progress);
  if (!index.ok()) return index.status();
  const auto loaded = std::chrono::steady_clock::now();
  const int64_t live = (*index)->Stats().live;
  progress.Start(absl::StrCat("building ", options.factory), std::max<int64_t>(live, 1));
  if (absl::Status s = (*index)->BuildMain(
          [&](int64_t added, int64_t) { progress.Update(added, added); });
      !s.ok()) {
    return s;
  }
  const auto built = std::chrono::steady_clock::now();
  progress.Start("writing snapshot", 1);
  if (absl::Status s = (*index)->SaveSnapshot(out, version); !s.ok()) return s;
  progress.Clear();
  const auto done = std::chrono::steady_clock::now();
  auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  const zhongcao::index::IndexStats stats = (*index)->Stats();
  std::printf(
      "snapshot %s: version %s, %lld vectors x %d, %s, watermark %llu\n"
      "read %.1f s, build %.1f s, write %.1f s, total %.1f s\n",
      out.c_str(), version.c_str(), static_cast<long long>(stats.live), stats.dim,
      stats.factory.c_str(), static_cast<unsigned long long>(stats.watermark),
      seconds(start, loaded), seconds(loaded, built), seconds(built, done),
      seconds(start, done));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Builds an item index snapshot offline for AdminService.LoadIndex.\n"
      "  zhongcao_build_index --data_dir=DIR --out=SNAPSHOT [--factory=...]\n"
      "  zhongcao_build_index --vectors=F.npy --ids=F.ids --out=SNAPSHOT");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = Run(); !s.ok()) {
    std::fprintf(stderr, "zhongcao_build_index: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
