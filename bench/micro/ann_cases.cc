// ANN cases: VectorIndex::Search per index type, unfiltered and with
// attribute filters that pass 1%, 10% and 100% of the items, each reporting
// its recall against exact search over the same allowed set.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/common/clustered_embeddings.h"
#include "bench/common/exact_knn.h"
#include "bench/micro/micro_config.h"
#include "benchmark/benchmark.h"
#include "index/vector_index.h"

namespace zhongcao::bench {
namespace {

// Bumped when AttributesOf changes, since cached snapshots carry attributes.
constexpr int kAttributeVersion = 1;
constexpr int kRegions = 10;
constexpr int kMaxK = 100;

uint64_t Hash(uint64_t a, uint64_t b) {
  uint64_t z = a ^ (b * 0x9e3779b97f4a7c15ULL) ^ 0x5851f42d4c957f2dULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Kinds 10% product, 50% note, 30% video, 10% live; one of ten regions
// each. Independent of the vectors, so a filter thins every neighbourhood
// evenly: neither the easy case (filter follows topics) nor the hardest
// (filter against them).
index::ItemAttributes AttributesOf(uint64_t seed, int64_t row) {
  const uint64_t h = Hash(seed, static_cast<uint64_t>(row));
  index::ItemAttributes a;
  const int kind_draw = static_cast<int>(h % 10);
  a.kind = kind_draw == 0 ? 1 : kind_draw <= 5 ? 2 : kind_draw <= 8 ? 3 : 4;
  a.regions = {absl::StrCat("r", (h >> 16) % kRegions)};
  a.available = true;
  return a;
}

struct FilterCase {
  const char* name;
  index::SearchFilter filter;
  bool (*passes)(const index::ItemAttributes&);
};

// Every case sets available_only, so even "100%" goes through the filtered
// path that feed sources use, not the plain search.
std::vector<FilterCase> FilterCases() {
  std::vector<FilterCase> cases(3);
  cases[0].name = "pass:100%";
  cases[0].filter.available_only = true;
  cases[0].passes = [](const index::ItemAttributes& a) { return a.available; };
  cases[1].name = "pass:10%";
  cases[1].filter.available_only = true;
  cases[1].filter.region = "r3";
  cases[1].passes = [](const index::ItemAttributes& a) {
    return a.available && a.regions[0] == "r3";
  };
  cases[2].name = "pass:1%";
  cases[2].filter.available_only = true;
  cases[2].filter.region = "r3";
  cases[2].filter.kind_mask = 1u << 1;
  cases[2].passes = [](const index::ItemAttributes& a) {
    return a.available && a.regions[0] == "r3" && a.kind == 1;
  };
  return cases;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class AnnData {
 public:
  static AnnData& Get() {
    static AnnData* data = new AnnData(Config());
    return *data;
  }

  int dim() const { return config_.vectors.dim; }
  int64_t queries() const { return config_.queries; }
  std::span<const float> Query(int64_t q) const {
    return {queries_.data() + q * dim(), static_cast<size_t>(dim())};
  }

  // Exact top-kMaxK for every query among the items passing filter case
  // `f` (-1: no filter), and the fraction of items that pass.
  const Neighbours& Truth(int f) {
    auto it = truth_.find(f);
    if (it != truth_.end()) return it->second;
    const auto start = std::chrono::steady_clock::now();
    Neighbours truth;
    if (f < 0) {
      truth = ExactKnn(vectors_.data(), config_.vectors.n, dim(), queries_.data(),
                       queries(), kMaxK);
    } else {
      std::vector<int64_t> allowed;
      for (int64_t i = 0; i < config_.vectors.n; ++i) {
        if (filters_[f].passes(attributes_[i])) allowed.push_back(i);
      }
      pass_fraction_[f] = static_cast<double>(allowed.size()) / config_.vectors.n;
      truth = ExactKnnSubset(vectors_.data(), dim(), allowed, queries_.data(), queries(),
                             kMaxK);
    }
    std::fprintf(stderr, "ground truth (%s): %.1f s\n",
                 f < 0 ? "no filter" : filters_[f].name, Seconds(start));
    return truth_.emplace(f, std::move(truth)).first->second;
  }
  double PassFraction(int f) const {
    auto it = pass_fraction_.find(f);
    return it == pass_fraction_.end() ? 1.0 : it->second;
  }
  const FilterCase& Filter(int f) const { return filters_[f]; }
  int filter_cases() const { return static_cast<int>(filters_.size()); }

  // The index of `factory`, loaded from the cache or built (and cached).
  absl::StatusOr<const index::VectorIndex*> Index(const std::string& factory) {
    auto it = indexes_.find(factory);
    if (it != indexes_.end()) return it->second.get();
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> built = LoadOrBuild(factory);
    if (!built.ok()) return built.status();
    return indexes_.emplace(factory, *std::move(built)).first->second.get();
  }

 private:
  explicit AnnData(const MicroConfig& config) : config_(config) {
    const auto start = std::chrono::steady_clock::now();
    ClusteredEmbeddings generator(config.vectors);
    vectors_ = generator.Items();
    queries_.resize(static_cast<size_t>(config.queries) * dim());
    for (int64_t q = 0; q < config.queries; ++q) {
      generator.Fresh(q, queries_.data() + q * dim());
    }
    attributes_.reserve(config.vectors.n);
    for (int64_t i = 0; i < config.vectors.n; ++i) {
      attributes_.push_back(AttributesOf(config.vectors.seed, i));
    }
    filters_ = FilterCases();
    std::fprintf(stderr, "generated %lld x %d vectors: %.1f s\n",
                 static_cast<long long>(config.vectors.n), dim(), Seconds(start));
  }

  index::IndexOptions Options(const std::string& factory) const {
    index::IndexOptions options;
    options.dim = dim();
    options.factory = factory;
    options.hnsw_ef_construction = config_.hnsw_ef_construction;
    options.hnsw_ef_search = config_.hnsw_ef_search;
    options.ivf_nprobe = config_.ivf_nprobe;
    options.build_threads = config_.build_threads;
    return options;
  }

  absl::StatusOr<std::unique_ptr<index::VectorIndex>> LoadOrBuild(
      const std::string& factory) {
    const index::IndexOptions options = Options(factory);
    std::filesystem::path cached;
    if (!config_.cache_dir.empty()) {
      cached = config_.cache_dir /
               absl::StrCat("micro-", SpecKey(config_.vectors), "-a", kAttributeVersion,
                            "-", absl::StrReplaceAll(factory, {{",", "_"}}), "-efc",
                            config_.hnsw_ef_construction);
      if (std::filesystem::exists(cached / "MANIFEST")) {
        auto loaded = index::VectorIndex::LoadSnapshot(cached, options);
        if (loaded.ok()) return loaded;
        std::fprintf(stderr, "rebuilding: cached %s: %s\n", cached.c_str(),
                     loaded.status().ToString().c_str());
        std::error_code ignored;
        std::filesystem::remove_all(cached, ignored);
      }
    }
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
        index::VectorIndex::Create(options);
    if (!index.ok()) return index.status();
    constexpr int64_t kBatch = 10000;
    for (int64_t begin = 0; begin < config_.vectors.n; begin += kBatch) {
      const int64_t end = std::min(config_.vectors.n, begin + kBatch);
      std::vector<index::IndexChange> changes(end - begin);
      for (int64_t i = begin; i < end; ++i) {
        index::IndexChange& c = changes[i - begin];
        c.id = absl::StrCat("i", i);
        c.vector.assign(vectors_.begin() + i * dim(), vectors_.begin() + (i + 1) * dim());
        c.attributes = attributes_[i];
      }
      if (absl::Status s = (*index)->Apply(changes, end); !s.ok()) return s;
    }
    if (absl::Status s = (*index)->BuildMain(); !s.ok()) return s;
    std::fprintf(stderr, "built %s over %lld vectors: %.1f s\n", factory.c_str(),
                 static_cast<long long>(config_.vectors.n), Seconds(start));
    if (!cached.empty()) {
      std::error_code ignored;
      std::filesystem::create_directories(config_.cache_dir, ignored);
      if (absl::Status s = (*index)->SaveSnapshot(cached, "micro-bench"); !s.ok()) {
        std::fprintf(stderr, "not cached: %s\n", s.ToString().c_str());
      }
    }
    return index;
  }

  const MicroConfig& config_;
  std::vector<float> vectors_;
  std::vector<float> queries_;
  std::vector<index::ItemAttributes> attributes_;
  std::vector<FilterCase> filters_;
  std::map<int, Neighbours> truth_;
  std::map<int, double> pass_fraction_;
  std::map<std::string, std::unique_ptr<index::VectorIndex>> indexes_;
};

int64_t RowOf(const std::string& id) {
  int64_t row = -1;
  if (id.size() < 2 || !absl::SimpleAtoi(absl::string_view(id).substr(1), &row))
    return -1;
  return row;
}

// One Search per iteration, cycling through the queries; the hits of the
// first pass are kept (a move, not a copy) and scored after the loop so
// that recall costs the timed loop nothing.
void SearchCase(benchmark::State& state, const std::string& factory, int filter_case,
                int k) {
  AnnData& data = AnnData::Get();
  absl::StatusOr<const index::VectorIndex*> index = data.Index(factory);
  if (!index.ok()) {
    state.SkipWithError(index.status().ToString().c_str());
    return;
  }
  const Neighbours& truth = data.Truth(filter_case);
  const index::SearchFilter no_filter;
  const index::SearchFilter& filter =
      filter_case < 0 ? no_filter : data.Filter(filter_case).filter;
  const int64_t nq = data.queries();
  std::vector<std::vector<index::Hit>> first_pass(nq);
  int64_t i = 0;
  for (auto _ : state) {
    const int64_t q = i < nq ? i : i % nq;
    absl::StatusOr<std::vector<index::Hit>> hits =
        (*index)->Search(data.Query(q), k, filter);
    if (!hits.ok()) {
      state.SkipWithError(hits.status().ToString().c_str());
      break;
    }
    if (i < nq) first_pass[q] = *std::move(hits);
    ++i;
  }
  const int64_t scored = std::min(i, nq);
  double recall = 0;
  std::vector<int64_t> rows;
  for (int64_t q = 0; q < scored; ++q) {
    rows.clear();
    for (const index::Hit& hit : first_pass[q]) rows.push_back(RowOf(hit.id));
    recall += RecallAt(rows, truth.row(q), k);
  }
  state.counters[absl::StrCat("recall@", k)] = scored > 0 ? recall / scored : 0;
  if (filter_case >= 0) state.counters["pass"] = data.PassFraction(filter_case);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void RegisterAnnCases() {
  const MicroConfig& config = Config();
  const int filter_cases = static_cast<int>(FilterCases().size());
  for (const std::string& factory : config.index_types) {
    for (int k : {10, 100}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("ann/", factory, "/k:", k).c_str(),
          [factory, k](benchmark::State& state) { SearchCase(state, factory, -1, k); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  const std::vector<FilterCase> cases = FilterCases();
  // k 100 as well: the recall target of the ANN stage under filters is
  // recall@100, the candidate count a feed source asks for.
  for (const std::string& factory : config.index_types) {
    for (int f = 0; f < filter_cases; ++f) {
      for (int k : {10, 100}) {
        benchmark::RegisterBenchmark(
            absl::StrCat("ann_filtered/", factory, "/", cases[f].name, "/k:", k).c_str(),
            [factory, f, k](benchmark::State& state) {
              SearchCase(state, factory, f, k);
            })
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace zhongcao::bench
