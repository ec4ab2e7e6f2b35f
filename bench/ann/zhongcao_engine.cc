// zhongcao's index::VectorIndex as an engine, through its public API only,
// so it measures whatever index/ does today.
#include <stdlib.h>

#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/ann/engine.h"
#include "index/vector_index.h"

namespace zhongcao::bench {
namespace {

class ZhongcaoEngine : public Engine {
 public:
  ZhongcaoEngine(std::string factory, int ef_construction, bool exclude_filter)
      : factory_(std::move(factory)),
        ef_construction_(ef_construction),
        exclude_filter_(exclude_filter) {}
  ~ZhongcaoEngine() override {
    if (!scratch_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_, ignored);
    }
  }

  std::string name() const override {
    return exclude_filter_ ? "zhongcao" : "zhongcao-nofilter";
  }

  absl::Status Prepare(const Dataset& data, const std::filesystem::path& cache_dir,
                       int threads) override {
    data_ = &data;
    row_of_.reserve(data.n);
    for (int64_t i = 0; i < data.n; ++i) row_of_.emplace(data.ids[i], i);
    options_.dim = data.dim;
    options_.factory = factory_;
    options_.hnsw_ef_construction = ef_construction_;
    options_.build_threads = threads;
    // efSearch is fixed when an index is made, so each ef is a load of one
    // snapshot, built once and kept in the cache (or a scratch directory).
    if (cache_dir.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "zhongcao-ann-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) {
        return absl::InternalError("cannot create a scratch directory");
      }
      scratch_ = pattern;
      snapshot_ = scratch_ / "snapshot";
    } else {
      snapshot_ = cache_dir / absl::StrCat("zhongcao-", data.key, "-",
                                           absl::StrReplaceAll(factory_, {{",", "_"}}),
                                           "-efc", ef_construction_);
    }
    if (std::filesystem::exists(snapshot_ / "MANIFEST")) {
      absl::StatusOr<index::SnapshotInfo> info =
          index::VectorIndex::ReadSnapshotInfo(snapshot_);
      // Loaded once here too: a snapshot an older index/ wrote may no
      // longer load, and is then rebuilt rather than failing every ef.
      if (info.ok() && info->live == data.n && info->dim == data.dim &&
          index::VectorIndex::LoadSnapshot(snapshot_, options_).ok()) {
        return absl::OkStatus();
      }
      std::filesystem::remove_all(snapshot_);
    }
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
        index::VectorIndex::Create(options_);
    if (!index.ok()) return index.status();
    constexpr int64_t kBatch = 10000;
    for (int64_t begin = 0; begin < data.n; begin += kBatch) {
      const int64_t end = std::min(data.n, begin + kBatch);
      std::vector<index::IndexChange> changes(end - begin);
      for (int64_t i = begin; i < end; ++i) {
        changes[i - begin].id = data.ids[i];
        changes[i - begin].vector.assign(data.row(i), data.row(i) + data.dim);
      }
      if (absl::Status s = (*index)->Apply(changes, end); !s.ok()) return s;
    }
    if (absl::Status s = (*index)->BuildMain(); !s.ok()) return s;
    build_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    built_now_ = true;
    return (*index)->SaveSnapshot(snapshot_, "ann-compare");
  }

  bool built_now() const override { return built_now_; }
  double build_seconds() const override { return build_seconds_; }

  absl::Status SetEf(int ef) override {
    index_.reset();
    options_.hnsw_ef_search = ef;
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> loaded =
        index::VectorIndex::LoadSnapshot(snapshot_, options_);
    if (!loaded.ok()) return loaded.status();
    index_ = *std::move(loaded);
    return absl::OkStatus();
  }

  void Search(const float* query, int k, int64_t self) override {
    wanted_ = k;
    self_ = self;
    const std::span<const float> q(query, static_cast<size_t>(data_->dim));
    if (exclude_filter_) {
      filter_.exclude_ids.clear();
      if (self >= 0) filter_.exclude_ids.push_back(data_->ids[self]);
      result_ = index_->Search(q, k, filter_);
    } else {
      result_ = index_->Search(q, self >= 0 ? k + 1 : k, filter_);
    }
  }

  void Collect(std::vector<int64_t>* rows) override {
    rows->clear();
    if (!result_.ok()) return;
    for (const index::Hit& hit : *result_) {
      auto it = row_of_.find(hit.id);
      if (it == row_of_.end() || it->second == self_) continue;
      if (static_cast<int>(rows->size()) == wanted_) break;
      rows->push_back(it->second);
    }
  }

 private:
  std::string factory_;
  int ef_construction_;
  bool exclude_filter_;
  const Dataset* data_ = nullptr;
  index::IndexOptions options_;
  std::filesystem::path scratch_;
  std::filesystem::path snapshot_;
  absl::flat_hash_map<std::string, int64_t> row_of_;
  std::unique_ptr<index::VectorIndex> index_;
  index::SearchFilter filter_;
  absl::StatusOr<std::vector<index::Hit>> result_;
  int wanted_ = 0;
  int64_t self_ = -1;
  bool built_now_ = false;
  double build_seconds_ = 0;
};

}  // namespace

std::unique_ptr<Engine> MakeZhongcaoEngine(const std::string& factory,
                                           int ef_construction, bool exclude_filter) {
  return std::make_unique<ZhongcaoEngine>(factory, ef_construction, exclude_filter);
}

}  // namespace zhongcao::bench
