// Ranking cases: hydration from a real RocksDB feature store, scoring, and
// the MMR and creator-cap re-rankers, each over `candidates` items of the
// demo catalog (items, creators, linked products and event counters).
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/micro/micro_config.h"
#include "benchmark/benchmark.h"
#include "index/vector_index.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"
#include "ranking/hydrator/feature_hydrator.h"
#include "ranking/reranker/creator_cap_reranker.h"
#include "ranking/reranker/mmr_reranker.h"
#include "ranking/scorer/weighted_scorer.h"
#include "store/feature_store.h"
#include "tools/demo/catalog_generator.h"

namespace zhongcao::bench {
namespace {

// Requests draw from several candidate sets, so that one set's keys are
// not the only ones in the caches.
constexpr int kCandidateSets = 16;
// Lists prepared for each refill of the re-ranker cases: re-rankers consume
// their input, and pausing the timer per call would cost more than creator
// capping itself.
constexpr int kPoolSize = 32;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

template <typename T, typename Write>
absl::Status WriteInBatches(const std::vector<T>& rows, Write write,
                            store::FeatureStore& store) {
  constexpr size_t kBatch = 1000;
  for (size_t begin = 0; begin < rows.size(); begin += kBatch) {
    const size_t count = std::min(kBatch, rows.size() - begin);
    if (absl::Status s = write(store, std::span<const T>(rows.data() + begin, count));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

class RankingData {
 public:
  static absl::StatusOr<RankingData*> Get() {
    static absl::StatusOr<RankingData*> data = Make(Config());
    return data;
  }
  static void CleanUp() {
    if (made_ == nullptr) return;
    made_->store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(made_->dir_, ignored);
  }

  const store::FeatureStore& store() const { return *store_; }
  const ranking::FeedContext& context() const { return context_; }
  const std::vector<std::string>& CandidateSet(int64_t i) const {
    return candidate_sets_[i % kCandidateSets];
  }
  // Hydrated and scored, best first: the input of the re-rankers.
  const std::vector<ranking::Candidate>& Scored() const { return scored_; }
  // The context that hydrated Scored(): its candidates point into it.
  const ranking::FeedContext& scoring_context() const { return *scoring_context_; }
  std::vector<ranking::Candidate> Fresh(int64_t i) const {
    std::vector<ranking::Candidate> candidates;
    candidates.reserve(CandidateSet(i).size());
    for (const std::string& id : CandidateSet(i)) {
      ranking::Candidate c;
      c.item_id = id;
      c.sources = {"ann:user"};
      candidates.push_back(std::move(c));
    }
    return candidates;
  }

 private:
  static inline RankingData* made_ = nullptr;

  static absl::StatusOr<RankingData*> Make(const MicroConfig& config) {
    auto* data = new RankingData();
    made_ = data;
    if (absl::Status s = data->Load(config); !s.ok()) return s;
    return data;
  }

  absl::Status Load(const MicroConfig& config) {
    const auto start = std::chrono::steady_clock::now();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zhongcao-micro-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("cannot create a temporary directory");
    }
    dir_ = pattern;
    demo::CatalogSpec spec;
    spec.seed = config.vectors.seed;
    spec.dim = config.vectors.dim;
    spec.products = std::max(1, config.store_items / 5);
    spec.content = std::max(1, config.store_items - spec.products);
    spec.creators = std::max(20, config.store_items / 50);
    spec.users = 1000;
    spec.events_per_user = 30;
    if (absl::Status s = demo::ValidateCatalogSpec(spec); !s.ok()) return s;
    const demo::Catalog catalog = demo::GenerateCatalog(spec);

    store::StoreOptions options;
    options.dir = dir_;
    options.sync_writes = false;  // a scratch store, rebuilt on every run
    absl::StatusOr<std::unique_ptr<store::FeatureStore>> opened =
        store::FeatureStore::Open(options);
    if (!opened.ok()) return opened.status();
    store_ = *std::move(opened);
    store::FeatureStore& s = *store_;
    absl::Status status = WriteInBatches<v1::Creator>(
        catalog.creators,
        [](store::FeatureStore& st, std::span<const v1::Creator> rows) {
          return st.UpsertCreators(rows);
        },
        s);
    if (status.ok()) {
      status = WriteInBatches<v1::Item>(
          catalog.items,
          [](store::FeatureStore& st, std::span<const v1::Item> rows) {
            return st.UpsertItems(rows).status();
          },
          s);
    }
    if (status.ok()) {
      status = WriteInBatches<v1::User>(
          catalog.users,
          [](store::FeatureStore& st, std::span<const v1::User> rows) {
            return st.UpsertUsers(rows);
          },
          s);
    }
    if (status.ok()) {
      status = WriteInBatches<v1::Event>(
          catalog.events,
          [](store::FeatureStore& st, std::span<const v1::Event> rows) {
            return st.RecordEvents(rows);
          },
          s);
    }
    if (!status.ok()) return status;
    // Reopened, so that RocksDB flushes the recovered memtables: a serving
    // store reads mostly from table files and the block cache, not from a
    // memtable holding the whole catalog.
    store_.reset();
    opened = store::FeatureStore::Open(options);
    if (!opened.ok()) return opened.status();
    store_ = *std::move(opened);

    // The items' vectors, where hydration reads them (the store's items
    // come without). Flat: only lookups by id are timed here.
    index::IndexOptions index_options;
    index_options.dim = spec.dim;
    index_options.factory = "Flat";
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
        index::VectorIndex::Create(index_options);
    if (!index.ok()) return index.status();
    std::vector<index::IndexChange> changes;
    for (const v1::Item& item : catalog.items) {
      if (item.embedding_size() == 0) continue;
      index::IndexChange& change = changes.emplace_back();
      change.id = item.id();
      change.vector.assign(item.embedding().begin(), item.embedding().end());
      change.attributes.kind = static_cast<uint8_t>(item.kind());
    }
    if (absl::Status applied = (*index)->Apply(changes, 0); !applied.ok()) return applied;
    context_.item_index = std::make_shared<index::IndexVersion>(index::IndexVersion{
        "bench", std::shared_ptr<index::VectorIndex>(*std::move(index))});

    // A request's context: the first user with a vector, a session vector
    // from one of the items, and a known typical price so that every
    // scoring feature does its work.
    for (const v1::User& user : catalog.users) {
      if (user.embedding_size() == 0) continue;
      context_.user_id = user.id();
      context_.user_vector.assign(user.embedding().begin(), user.embedding().end());
      context_.region = user.region();
      context_.following.insert(user.following_creator_ids().begin(),
                                user.following_creator_ids().end());
      break;
    }
    const v1::Item& session_item = catalog.items[catalog.items.size() / 2];
    context_.session_vector.assign(session_item.embedding().begin(),
                                   session_item.embedding().end());
    context_.now_ms = spec.now_ms;
    context_.typical_price_cents = 8000;

    uint64_t state = spec.seed;
    auto next = [&state] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return state >> 33;
    };
    const int per_set = std::min<int>(config.candidates, catalog.items.size());
    for (int set = 0; set < kCandidateSets; ++set) {
      // Distinct ids by a partial Fisher-Yates over item positions.
      std::vector<size_t> order(catalog.items.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::vector<std::string> ids;
      for (int j = 0; j < per_set; ++j) {
        const size_t pick = j + next() % (order.size() - j);
        std::swap(order[j], order[pick]);
        ids.push_back(catalog.items[order[j]].id());
      }
      candidate_sets_.push_back(std::move(ids));
    }

    ranking::FeedContext context = context_;
    scored_ = Fresh(0);
    if (absl::Status h = ranking::FeatureHydrator(*store_).Hydrate(&context, &scored_);
        !h.ok()) {
      return h;
    }
    // The re-rankers read creators through the candidates' pointers into
    // the context that hydrated them, so that context is kept.
    scoring_context_ = std::make_unique<ranking::FeedContext>(std::move(context));
    ranking::WeightedScorer().Score(*scoring_context_, ranking::ScoringWeights(),
                                    &scored_);
    std::stable_sort(scored_.begin(), scored_.end(),
                     [](const ranking::Candidate& a, const ranking::Candidate& b) {
                       return a.score > b.score;
                     });
    std::fprintf(stderr, "feature store of %zu items, %zu creators, %zu events: %.1f s\n",
                 catalog.items.size(), catalog.creators.size(), catalog.events.size(),
                 Seconds(start));
    return absl::OkStatus();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::FeatureStore> store_;
  ranking::FeedContext context_;
  std::unique_ptr<ranking::FeedContext> scoring_context_;
  std::vector<std::vector<std::string>> candidate_sets_;
  std::vector<ranking::Candidate> scored_;
};

RankingData* DataOrSkip(benchmark::State& state) {
  absl::StatusOr<RankingData*> data = RankingData::Get();
  if (!data.ok()) {
    state.SkipWithError(data.status().ToString().c_str());
    return nullptr;
  }
  return *data;
}

// A fresh context per request, as the pipeline has: its creator map starts
// empty, so every call reads creators too.
void HydrateCase(benchmark::State& state) {
  RankingData* data = DataOrSkip(state);
  if (data == nullptr) return;
  const ranking::FeatureHydrator hydrator(data->store());
  int64_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    ranking::FeedContext context = data->context();
    std::vector<ranking::Candidate> candidates = data->Fresh(i++);
    if (absl::Status s = hydrator.Hydrate(&context, &candidates); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    found += std::count_if(
        candidates.begin(), candidates.end(),
        [](const ranking::Candidate& c) { return static_cast<bool>(c.item); });
    benchmark::DoNotOptimize(candidates.data());
  }
  state.counters["found"] =
      benchmark::Counter(static_cast<double>(found), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations() * data->CandidateSet(0).size());
}

void ScoreCase(benchmark::State& state) {
  RankingData* data = DataOrSkip(state);
  if (data == nullptr) return;
  std::vector<ranking::Candidate> candidates = data->Scored();
  const ranking::WeightedScorer scorer;
  const ranking::ScoringWeights weights;
  for (auto _ : state) {
    scorer.Score(data->scoring_context(), weights, &candidates);
    benchmark::DoNotOptimize(candidates.data());
  }
  state.SetItemsProcessed(state.iterations() * candidates.size());
}

template <typename ReRanker>
void ReRankCase(benchmark::State& state) {
  RankingData* data = DataOrSkip(state);
  if (data == nullptr) return;
  const ReRanker reranker;
  const ranking::RerankSettings settings;
  const int count = Config().page_size;
  std::vector<std::vector<ranking::Candidate>> pool(kPoolSize);
  size_t used = pool.size();
  int64_t kept = 0;
  for (auto _ : state) {
    if (used == pool.size()) {
      state.PauseTiming();
      for (std::vector<ranking::Candidate>& list : pool) list = data->Scored();
      used = 0;
      state.ResumeTiming();
    }
    std::vector<ranking::Candidate>& list = pool[used++];
    reranker.ReRank(data->scoring_context(), settings, count, &list);
    kept += static_cast<int64_t>(list.size());
    benchmark::DoNotOptimize(list.data());
  }
  state.counters["kept"] =
      benchmark::Counter(static_cast<double>(kept), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations() * data->Scored().size());
}

}  // namespace

void RegisterRankingCases() {
  const int n = Config().candidates;
  benchmark::RegisterBenchmark(absl::StrCat("hydrate/candidates:", n).c_str(),
                               HydrateCase)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(absl::StrCat("score/candidates:", n).c_str(), ScoreCase)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(absl::StrCat("rerank_mmr/candidates:", n).c_str(),
                               ReRankCase<ranking::MmrReRanker>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(absl::StrCat("rerank_creator_cap/candidates:", n).c_str(),
                               ReRankCase<ranking::CreatorCapReRanker>)
      ->Unit(benchmark::kMicrosecond);
}

void CleanUpRankingCases() { RankingData::CleanUp(); }

}  // namespace zhongcao::bench
