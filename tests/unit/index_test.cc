// Unit tests of index::VectorIndex: argument checks, all-or-nothing Apply,
// search against a brute-force oracle in the growing and main segments,
// deletes and replacements, attribute filters, snapshots and a concurrency
// smoke test.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/exact_scan.h"
#include "index/row_blocks.h"
#include "index/vector_index.h"
#include "tests/unit/index_builders.h"

namespace zhongcao::index {
namespace {

using namespace ::zhongcao::index::testing;  // NOLINT: test builders

namespace fs = std::filesystem;
using ::testing::Not;

constexpr int kDim = 16;

// ---------------------------------------------------------------------------
// Helpers: data generation and a brute-force oracle.

struct TestItem {
  std::string id;
  std::vector<float> vector;
  ItemAttributes attributes;
};

// The live items as the test believes them to be, keyed by id.
using Catalog = std::map<std::string, TestItem>;

std::vector<float> RandomVector(std::mt19937& rng, int dim) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  return v;
}

void Normalize(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  for (float& x : v) x = static_cast<float>(x / norm);
}

// `n` unit vectors around `clusters` random centres: embeddings look like
// this, and it is the case graph indexes are built for.
std::vector<std::vector<float>> ClusteredVectors(int n, int dim, int clusters,
                                                 uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < clusters; ++c) {
    centres.push_back(RandomVector(rng, dim));
    Normalize(centres.back());
  }
  std::normal_distribution<float> noise(0.0f, 0.35f / std::sqrt(float(dim)));
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i) {
    std::vector<float> v = centres[i % clusters];
    for (float& x : v) x += noise(rng);
    Normalize(v);
    out.push_back(std::move(v));
  }
  return out;
}

std::string Id(absl::string_view prefix, int i) {
  return std::string(prefix.data(), prefix.size()) + std::to_string(i);
}

float Dot(std::span<const float> a, std::span<const float> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

bool Passes(const TestItem& item, const SearchFilter& filter) {
  const ItemAttributes& a = item.attributes;
  if ((filter.kind_mask & (1u << a.kind)) == 0) return false;
  if (!filter.region.empty() && !a.regions.empty() &&
      std::find(a.regions.begin(), a.regions.end(), filter.region) == a.regions.end()) {
    return false;
  }
  if (filter.available_only && !a.available) return false;
  if (std::find(filter.exclude_ids.begin(), filter.exclude_ids.end(), item.id) !=
      filter.exclude_ids.end()) {
    return false;
  }
  return true;
}

// Exact top-k by inner product over the items that pass `filter`.
std::vector<Hit> BruteForce(const Catalog& catalog, std::span<const float> query, int k,
                            const SearchFilter& filter = {}) {
  std::vector<Hit> all;
  for (const auto& [id, item] : catalog) {
    if (Passes(item, filter)) all.push_back({id, Dot(query, item.vector)});
  }
  std::sort(all.begin(), all.end(), [](const Hit& a, const Hit& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
  });
  if (static_cast<int>(all.size()) > k) all.resize(k);
  return all;
}

size_t CountPassing(const Catalog& catalog, const SearchFilter& filter) {
  size_t n = 0;
  for (const auto& [id, item] : catalog) n += Passes(item, filter) ? 1 : 0;
  return n;
}

std::vector<std::string> Ids(const std::vector<Hit>& hits) {
  std::vector<std::string> ids;
  for (const Hit& h : hits) ids.push_back(h.id);
  return ids;
}

// Hits equal the oracle's: same ids in the same order, same scores (up to
// float summation order).
void ExpectSameHits(const std::vector<Hit>& actual, const std::vector<Hit>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].id, expected[i].id) << "rank " << i;
    EXPECT_NEAR(actual[i].score, expected[i].score, 1e-4) << "rank " << i;
  }
}

// For graph search: same count, each hit distinct with its true score, best
// first, and at least 80% of the oracle's ids.
void ExpectApproximateHits(const std::vector<Hit>& actual,
                           const std::vector<Hit>& expected, const Catalog& catalog,
                           std::span<const float> query) {
  ASSERT_EQ(actual.size(), expected.size());
  std::set<std::string> truth;
  for (const Hit& h : expected) truth.insert(h.id);
  std::set<std::string> seen;
  size_t overlap = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(seen.insert(actual[i].id).second) << "duplicate " << actual[i].id;
    auto it = catalog.find(actual[i].id);
    ASSERT_NE(it, catalog.end()) << actual[i].id << " is not live";
    EXPECT_NEAR(actual[i].score, Dot(query, it->second.vector), 1e-4);
    if (i > 0) {
      EXPECT_GE(actual[i - 1].score, actual[i].score);
    }
    overlap += truth.count(actual[i].id);
  }
  EXPECT_GE(overlap * 10, expected.size() * 8);
}

absl::Status Upsert(VectorIndex& index, const std::vector<TestItem>& items,
                    uint64_t watermark = 0) {
  std::vector<IndexChange> changes;
  for (const TestItem& item : items) {
    changes.push_back({item.id, item.vector, item.attributes});
  }
  return index.Apply(changes, watermark);
}

absl::Status Delete(VectorIndex& index, const std::vector<std::string>& ids,
                    uint64_t watermark = 0) {
  std::vector<IndexChange> changes;
  for (const std::string& id : ids) changes.push_back({id, {}, {}});
  return index.Apply(changes, watermark);
}

// Upserts into the index and mirrors the change in `catalog`.
void UpsertAll(VectorIndex& index, Catalog& catalog, const std::vector<TestItem>& items) {
  ASSERT_TRUE(Upsert(index, items).ok());
  for (const TestItem& item : items) catalog[item.id] = item;
}

void DeleteAll(VectorIndex& index, Catalog& catalog,
               const std::vector<std::string>& ids) {
  ASSERT_TRUE(Delete(index, ids).ok());
  for (const std::string& id : ids) catalog.erase(id);
}

std::unique_ptr<VectorIndex> MakeIndex(const IndexOptions& options) {
  absl::StatusOr<std::unique_ptr<VectorIndex>> index = VectorIndex::Create(options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

IndexOptions Options(const std::string& factory, int dim = kDim) {
  IndexOptions options;
  options.dim = dim;
  options.factory = factory;
  options.build_threads = 2;
  return options;
}

std::vector<Hit> SearchOk(const VectorIndex& index, std::span<const float> query, int k,
                          const SearchFilter& filter = {}) {
  absl::StatusOr<std::vector<Hit>> hits = index.Search(query, k, filter);
  EXPECT_TRUE(hits.ok()) << hits.status();
  return hits.ok() ? *std::move(hits) : std::vector<Hit>{};
}

// Items with deterministic, varied attributes: kinds 0..3, regions from
// {"", "cn", "sg", "cn+sg"}, every fifth unavailable.
std::vector<TestItem> MixedItems(const std::vector<std::vector<float>>& vectors,
                                 absl::string_view prefix) {
  std::vector<TestItem> items;
  for (size_t i = 0; i < vectors.size(); ++i) {
    TestItem item{Id(prefix, static_cast<int>(i)), vectors[i], {}};
    item.attributes.kind = static_cast<uint8_t>(i % 4);
    switch ((i / 4) % 4) {
      case 0:
        break;  // everywhere
      case 1:
        item.attributes.regions = {"cn"};
        break;
      case 2:
        item.attributes.regions = {"sg"};
        break;
      case 3:
        item.attributes.regions = {"cn", "sg"};
        break;
    }
    item.attributes.available = i % 5 != 0;
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<TestItem> PlainItems(const std::vector<std::vector<float>>& vectors,
                                 absl::string_view prefix) {
  std::vector<TestItem> items;
  for (size_t i = 0; i < vectors.size(); ++i) {
    items.push_back({Id(prefix, static_cast<int>(i)), vectors[i], {}});
  }
  return items;
}

std::vector<std::vector<float>> RandomVectors(int n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i) out.push_back(RandomVector(rng, dim));
  return out;
}

// A fresh directory under the test temp dir, removed at the end.
class ScopedDir {
 public:
  ScopedDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::path(::testing::TempDir()) /
            (std::string("zhongcao_index_test_") + info->test_suite_name() + "_" +
             info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScopedDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------
// Create

TEST(VectorIndexCreate, Create_BadFactory_Rejected) {
  for (const char* factory : {"NotAnIndex", "HNSW,Nonsense", "", "IDMap,Flat"}) {
    absl::StatusOr<std::unique_ptr<VectorIndex>> index =
        VectorIndex::Create(Options(factory));
    EXPECT_FALSE(index.ok()) << "factory \"" << factory << "\" was accepted";
  }
}

TEST(VectorIndexCreate, Create_NonPositiveDim_Rejected) {
  for (int dim : {0, -1, -64}) {
    absl::StatusOr<std::unique_ptr<VectorIndex>> index =
        VectorIndex::Create(Options("Flat", dim));
    EXPECT_FALSE(index.ok()) << "dim " << dim << " was accepted";
    if (!index.ok()) {
      EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(VectorIndexCreate, Create_KnownFactories_AcceptedAndEmpty) {
  for (const char* factory : {"HNSW32,Flat", "Flat", "IVF16,Flat"}) {
    absl::StatusOr<std::unique_ptr<VectorIndex>> index =
        VectorIndex::Create(Options(factory));
    ASSERT_TRUE(index.ok()) << factory << ": " << index.status();
    const IndexStats stats = (*index)->Stats();
    EXPECT_EQ(stats.live, 0);
    EXPECT_EQ(stats.dim, kDim);
    EXPECT_EQ(stats.factory, factory);
    EXPECT_EQ((*index)->dim(), kDim);
    // An empty index answers with no hits, not an error.
    const std::vector<float> query(kDim, 1.0f);
    EXPECT_TRUE(SearchOk(**index, query, 5).empty());
  }
}

// ---------------------------------------------------------------------------
// Apply: validation, all or nothing

class ApplyValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = MakeIndex(Options("Flat"));
    ASSERT_NE(index_, nullptr);
    ASSERT_TRUE(Upsert(*index_, PlainItems(RandomVectors(3, kDim, 1), "a"), 7).ok());
  }

  // The batch fails with INVALID_ARGUMENT and nothing in it takes effect:
  // not the valid upsert before the bad change, not the delete after it.
  void ExpectRejectedWithoutEffect(const std::vector<float>& bad_vector) {
    const std::vector<float> before_a0 = *index_->Vector("a0");
    std::vector<IndexChange> batch;
    batch.push_back({"good", std::vector<float>(kDim, 0.5f), {}});
    batch.push_back({"a1", std::vector<float>(kDim, 2.0f), {}});  // replace
    batch.push_back({"bad", bad_vector, {}});
    batch.push_back({"a0", {}, {}});  // delete
    const absl::Status status = index_->Apply(batch, 99);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;

    const IndexStats stats = index_->Stats();
    EXPECT_EQ(stats.live, 3);
    EXPECT_EQ(stats.watermark, 7u);
    EXPECT_FALSE(index_->Vector("good").has_value());
    EXPECT_FALSE(index_->Vector("bad").has_value());
    ASSERT_TRUE(index_->Vector("a0").has_value());
    EXPECT_EQ(*index_->Vector("a0"), before_a0);
    EXPECT_NE(*index_->Vector("a1"), std::vector<float>(kDim, 2.0f));
    const std::vector<Hit> hits = SearchOk(*index_, std::vector<float>(kDim, 1.0f), 10);
    EXPECT_THAT(Ids(hits), ::testing::UnorderedElementsAre("a0", "a1", "a2"));
  }

  std::unique_ptr<VectorIndex> index_;
};

TEST_F(ApplyValidation, Apply_WrongDimension_RejectedWithoutEffect) {
  ExpectRejectedWithoutEffect(std::vector<float>(kDim - 1, 1.0f));
  ExpectRejectedWithoutEffect(std::vector<float>(kDim + 1, 1.0f));
}

TEST_F(ApplyValidation, Apply_NaN_RejectedWithoutEffect) {
  std::vector<float> v(kDim, 1.0f);
  v[kDim / 2] = std::numeric_limits<float>::quiet_NaN();
  ExpectRejectedWithoutEffect(v);
}

TEST_F(ApplyValidation, Apply_Infinity_RejectedWithoutEffect) {
  std::vector<float> v(kDim, 1.0f);
  v[0] = std::numeric_limits<float>::infinity();
  ExpectRejectedWithoutEffect(v);
  v[0] = -std::numeric_limits<float>::infinity();
  ExpectRejectedWithoutEffect(v);
}

TEST_F(ApplyValidation, Apply_Watermark_IsMaximumSeen) {
  ASSERT_TRUE(Upsert(*index_, PlainItems(RandomVectors(1, kDim, 2), "b"), 20).ok());
  EXPECT_EQ(index_->Stats().watermark, 20u);
  ASSERT_TRUE(Delete(*index_, {"b0"}, 15).ok());
  EXPECT_EQ(index_->Stats().watermark, 20u);
}

TEST(VectorIndexSearch, Search_BadArguments_Rejected) {
  std::unique_ptr<VectorIndex> index = MakeIndex(Options("Flat"));
  ASSERT_TRUE(Upsert(*index, PlainItems(RandomVectors(3, kDim, 1), "a")).ok());
  const std::vector<float> query(kDim, 1.0f);
  EXPECT_EQ(index->Search(query, 0, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(query, -1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(std::vector<float>(kDim + 1, 1.0f), 3, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan_query(kDim, 1.0f);
  nan_query[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(index->Search(nan_query, 3, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Search against the oracle, growing and main segments

class FlatAgainstOracle : public ::testing::TestWithParam<int> {};

// Parameter: exact_search_max_candidates. 0 sends every main-segment search
// through FAISS; the default answers a main segment this small exactly.
TEST_P(FlatAgainstOracle, Search_GrowingThenMain_MatchesBruteForce) {
  IndexOptions options = Options("Flat");
  options.exact_search_max_candidates = GetParam();
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(RandomVectors(300, kDim, 11), "g"));
  const std::vector<std::vector<float>> queries = RandomVectors(15, kDim, 12);

  // Growing segment only.
  EXPECT_EQ(index->Stats().growing, 300);
  EXPECT_EQ(index->Stats().main, 0);
  for (const auto& q : queries) {
    ExpectSameHits(SearchOk(*index, q, 10), BruteForce(catalog, q, 10));
  }

  // Main segment only.
  ASSERT_TRUE(index->BuildMain().ok());
  EXPECT_EQ(index->Stats().main, 300);
  EXPECT_EQ(index->Stats().growing, 0);
  for (const auto& q : queries) {
    ExpectSameHits(SearchOk(*index, q, 10), BruteForce(catalog, q, 10));
  }

  // Both: new items land in the growing segment and merge with main's hits.
  UpsertAll(*index, catalog, PlainItems(RandomVectors(80, kDim, 13), "n"));
  EXPECT_EQ(index->Stats().main, 300);
  EXPECT_EQ(index->Stats().growing, 80);
  EXPECT_EQ(index->Stats().live, 380);
  for (const auto& q : queries) {
    ExpectSameHits(SearchOk(*index, q, 25), BruteForce(catalog, q, 25));
  }
  // k larger than the catalog returns everything, still in order.
  ExpectSameHits(SearchOk(*index, queries[0], 1000),
                 BruteForce(catalog, queries[0], 1000));
}

INSTANTIATE_TEST_SUITE_P(ExactThreshold, FlatAgainstOracle, ::testing::Values(0, 20000));

TEST(VectorIndexSearch, Search_IvfMainSegmentAllListsProbed_MatchesBruteForce) {
  IndexOptions options = Options("IVF16,Flat");
  options.ivf_nprobe = 16;  // every list: IVF becomes exact
  options.exact_search_max_candidates = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(ClusteredVectors(700, kDim, 16, 21), "v"));
  ASSERT_TRUE(index->BuildMain().ok());
  DeleteAll(*index, catalog, {"v0", "v1", "v2", "v3", "v100"});
  for (const auto& q : ClusteredVectors(10, kDim, 16, 22)) {
    ExpectSameHits(SearchOk(*index, q, 10), BruteForce(catalog, q, 10));
  }
}

TEST(VectorIndexSearch, Search_HnswMainSegment_RecallAtLeast90Percent) {
  constexpr int kN = 2000;
  constexpr int kDimHnsw = 32;
  IndexOptions options = Options("HNSW32,Flat", kDimHnsw);
  options.exact_search_max_candidates = 0;  // graph search, not the fallback
  options.exact_search_cost_weight = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(ClusteredVectors(kN, kDimHnsw, 40, 31), "h"));
  ASSERT_TRUE(index->BuildMain().ok());
  EXPECT_EQ(index->Stats().main, kN);

  const auto queries = ClusteredVectors(60, kDimHnsw, 40, 32);
  int found = 0;
  int wanted = 0;
  for (const auto& q : queries) {
    const std::vector<Hit> hits = SearchOk(*index, q, 10);
    ASSERT_EQ(hits.size(), 10u);
    std::set<std::string> truth;
    for (const Hit& h : BruteForce(catalog, q, 10)) truth.insert(h.id);
    for (size_t i = 0; i < hits.size(); ++i) {
      found += truth.count(hits[i].id);
      // Scores are true inner products, best first.
      EXPECT_NEAR(hits[i].score, Dot(q, catalog.at(hits[i].id).vector), 1e-4);
      if (i > 0) {
        EXPECT_GE(hits[i - 1].score, hits[i].score);
      }
    }
    wanted += 10;
  }
  const double recall = static_cast<double>(found) / wanted;
  EXPECT_GE(recall, 0.9);
}

TEST(VectorIndexSearch, Search_UpsertedItem_VisibleAtOnceInGrowingAndAfterBuild) {
  std::unique_ptr<VectorIndex> index = MakeIndex(Options("HNSW32,Flat"));
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(RandomVectors(400, kDim, 41), "o"));
  ASSERT_TRUE(index->BuildMain().ok());

  std::mt19937 rng(42);
  const std::vector<float> query = RandomVector(rng, kDim);
  std::vector<float> strong = query;
  for (float& x : strong) x *= 100;  // far ahead of every other item
  ASSERT_TRUE(Upsert(*index, {{"fresh", strong, {}}}).ok());
  std::vector<Hit> hits = SearchOk(*index, query, 5);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, "fresh");
  EXPECT_EQ(index->Stats().growing, 1);
  ASSERT_TRUE(index->Vector("fresh").has_value());
  EXPECT_EQ(*index->Vector("fresh"), strong);

  ASSERT_TRUE(index->BuildMain().ok());
  EXPECT_EQ(index->Stats().growing, 0);
  EXPECT_EQ(index->Stats().main, 401);
  hits = SearchOk(*index, query, 5);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, "fresh");
}

// ---------------------------------------------------------------------------
// Deletes and replacements

class DeleteAndReplace : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    IndexOptions options = Options("HNSW32,Flat");
    options.exact_search_max_candidates = GetParam();
    options.exact_search_cost_weight = 0;
    index_ = MakeIndex(options);
    ASSERT_NE(index_, nullptr);
    UpsertAll(*index_, catalog_, PlainItems(ClusteredVectors(600, kDim, 10, 51), "m"));
    ASSERT_TRUE(index_->BuildMain().ok());
    UpsertAll(*index_, catalog_, PlainItems(ClusteredVectors(100, kDim, 10, 52), "g"));
    queries_ = ClusteredVectors(8, kDim, 10, 53);
  }

  // Every live item is returned when k covers the whole catalog, each id
  // once, and no id outside the catalog.
  void ExpectExactlyCatalog() {
    const std::vector<Hit> hits =
        SearchOk(*index_, queries_[0], static_cast<int>(catalog_.size()) + 50);
    std::multiset<std::string> got;
    for (const Hit& h : hits) got.insert(h.id);
    std::multiset<std::string> want;
    for (const auto& [id, item] : catalog_) want.insert(id);
    EXPECT_EQ(got, want);
  }

  // Exact paths must match the oracle; the graph path must return true
  // scores, best first, and find most of the true top-k.
  void ExpectGoodHits(std::span<const float> query, int k) {
    const std::vector<Hit> hits = SearchOk(*index_, query, k);
    const std::vector<Hit> expected = BruteForce(catalog_, query, k);
    if (GetParam() != 0) {
      ExpectSameHits(hits, expected);
    } else {
      ExpectApproximateHits(hits, expected, catalog_, query);
    }
  }

  std::unique_ptr<VectorIndex> index_;
  Catalog catalog_;
  std::vector<std::vector<float>> queries_;
};

TEST_P(DeleteAndReplace, Search_DeletedItem_NeverReturned) {
  // Delete each query's best hit, from main and from growing alike.
  std::set<std::string> deleted;
  for (const auto& q : queries_) {
    for (const Hit& h : SearchOk(*index_, q, 3)) deleted.insert(h.id);
  }
  deleted.insert("m5");
  deleted.insert("g7");
  DeleteAll(*index_, catalog_, {deleted.begin(), deleted.end()});
  EXPECT_EQ(index_->Stats().live, static_cast<int64_t>(catalog_.size()));

  auto check = [&] {
    for (const auto& q : queries_) {
      for (const Hit& h : SearchOk(*index_, q, 20)) {
        EXPECT_FALSE(deleted.contains(h.id)) << h.id << " came back";
      }
    }
    for (const std::string& id : deleted) {
      EXPECT_FALSE(index_->Vector(id).has_value()) << id;
    }
    ExpectExactlyCatalog();
  };
  check();
  // Deleting again is harmless; a rebuild does not resurrect anything.
  ASSERT_TRUE(Delete(*index_, {deleted.begin(), deleted.end()}).ok());
  ASSERT_TRUE(index_->BuildMain().ok());
  EXPECT_EQ(index_->Stats().main, static_cast<int64_t>(catalog_.size()));
  check();
}

TEST_P(DeleteAndReplace, Apply_ReupsertDeletedId_ComesBack) {
  const TestItem m3 = catalog_.at("m3");
  const TestItem g3 = catalog_.at("g3");
  DeleteAll(*index_, catalog_, {"m3", "g3"});
  EXPECT_FALSE(index_->Vector("m3").has_value());

  UpsertAll(*index_, catalog_, {m3, g3});
  ASSERT_TRUE(index_->Vector("m3").has_value());
  EXPECT_EQ(*index_->Vector("m3"), m3.vector);
  // Searching with its own direction finds it among the best.
  for (const TestItem* item : {&m3, &g3}) {
    const std::vector<Hit> hits = SearchOk(*index_, item->vector, 10);
    EXPECT_THAT(Ids(hits), ::testing::Contains(item->id));
    ExpectGoodHits(item->vector, 10);
  }
  ExpectExactlyCatalog();
}

TEST_P(DeleteAndReplace, Apply_UpsertWithNewVector_ReplacesOldNoDuplicates) {
  const IndexStats before = index_->Stats();
  std::vector<float> moved(kDim, 0.0f);
  moved[0] = 50.0f;
  std::vector<float> moved_less(kDim, 0.0f);
  moved_less[0] = 40.0f;
  UpsertAll(*index_, catalog_, {{"m10", moved, {}}, {"g10", moved_less, {}}});

  const IndexStats after = index_->Stats();
  EXPECT_EQ(after.live, before.live);
  // m10 left main for the growing segment; g10 was replaced within it.
  EXPECT_EQ(after.main, before.main - 1);
  EXPECT_EQ(after.growing, before.growing + 1);
  EXPECT_EQ(*index_->Vector("m10"), moved);

  std::vector<float> query(kDim, 0.0f);
  query[0] = 1.0f;
  const std::vector<Hit> top = SearchOk(*index_, query, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_THAT(Ids(top), ::testing::ElementsAre("m10", "g10"));
  EXPECT_NEAR(top[0].score, 50.0f, 1e-4);
  EXPECT_NEAR(top[1].score, 40.0f, 1e-4);
  ExpectExactlyCatalog();  // no duplicate of the old m10 / g10
  for (const auto& q : queries_) {
    ExpectGoodHits(q, 10);
  }
}

INSTANTIATE_TEST_SUITE_P(ExactThreshold, DeleteAndReplace, ::testing::Values(0, 20000));

// ---------------------------------------------------------------------------
// Filters

std::vector<SearchFilter> SampleFilters() {
  std::vector<SearchFilter> filters;
  filters.push_back({});
  filters.push_back(KindFilter(1u << 2));
  filters.push_back(KindFilter((1u << 0) | (1u << 3)));
  filters.push_back(KindFilter(0));
  filters.push_back(RegionFilter("cn"));
  filters.push_back(RegionFilter("sg"));
  filters.push_back(RegionFilter("mars"));  // unknown: only "everywhere" items
  filters.push_back(AvailableFilter());
  filters.push_back(MakeFilter(1u << 1, "sg", true));
  filters.push_back(MakeFilter(
      0xFF, "", false,
      {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "unknown"}));
  return filters;
}

class Filters : public ::testing::TestWithParam<int> {};

// Every filter field, on growing, main and both, against the oracle.
TEST_P(Filters, Search_Filters_MatchBruteForceInEverySegment) {
  IndexOptions options = Options("Flat");
  options.exact_search_max_candidates = GetParam();
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  const auto vectors = RandomVectors(400, kDim, 61);
  UpsertAll(*index, catalog, MixedItems(vectors, "f"));
  const auto queries = RandomVectors(6, kDim, 62);
  const std::vector<SearchFilter> filters = SampleFilters();

  auto check = [&](absl::string_view stage) {
    for (size_t f = 0; f < filters.size(); ++f) {
      for (const auto& q : queries) {
        SCOPED_TRACE(::testing::Message() << stage << ", filter " << f);
        const std::vector<Hit> hits = SearchOk(*index, q, 12, filters[f]);
        ExpectSameHits(hits, BruteForce(catalog, q, 12, filters[f]));
        EXPECT_EQ(hits.size(), std::min<size_t>(12, CountPassing(catalog, filters[f])));
      }
    }
  };
  check("growing");
  ASSERT_TRUE(index->BuildMain().ok());
  check("main");
  UpsertAll(*index, catalog, MixedItems(RandomVectors(100, kDim, 63), "x"));
  check("main+growing");
}

INSTANTIATE_TEST_SUITE_P(ExactThreshold, Filters, ::testing::Values(0, 20000));

TEST(VectorIndexFilters, Search_UnknownRegion_OnlyItemsShownEverywhere) {
  std::unique_ptr<VectorIndex> index = MakeIndex(Options("Flat"));
  std::vector<float> v(kDim, 1.0f);
  ASSERT_TRUE(Upsert(*index, {{"everywhere", v, Attrs(0, {})},
                              {"cn_only", v, Attrs(0, {"cn"})},
                              {"sg_cn", v, Attrs(0, {"sg", "cn"})}})
                  .ok());
  auto ids = [&](const std::string& region) {
    return Ids(SearchOk(*index, v, 10, RegionFilter(region)));
  };
  EXPECT_THAT(ids("mars"), ::testing::ElementsAre("everywhere"));
  EXPECT_THAT(ids("cn"),
              ::testing::UnorderedElementsAre("everywhere", "cn_only", "sg_cn"));
  EXPECT_THAT(ids("sg"), ::testing::UnorderedElementsAre("everywhere", "sg_cn"));
  EXPECT_THAT(ids(""), ::testing::UnorderedElementsAre("everywhere", "cn_only", "sg_cn"));
}

class SelectiveFilter : public ::testing::TestWithParam<int> {};

// 16 allowed of 4000 on an HNSW main segment: graph search alone returns
// fewer than k (STACK.md); the index must still answer with k exact hits.
TEST_P(SelectiveFilter, Search_VerySelectiveFilterOnHnswMain_ReturnsKAllowed) {
  constexpr int kN = 4000;
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = GetParam();
  options.exact_search_cost_weight = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  std::vector<TestItem> items = PlainItems(ClusteredVectors(kN, kDim, 20, 71), "s");
  for (int i = 0; i < kN; ++i) {
    if (i % (kN / 16) == 7) {
      items[i].attributes.kind = 5;  // the rare kind
      items[i].attributes.regions = {"rare-region"};
    } else {
      items[i].attributes.kind = 1;
      items[i].attributes.regions = {"common"};
    }
  }
  UpsertAll(*index, catalog, items);
  ASSERT_TRUE(index->BuildMain().ok());

  const SearchFilter by_kind = KindFilter(1u << 5);
  const SearchFilter by_region = RegionFilter("rare-region");
  ASSERT_EQ(CountPassing(catalog, by_kind), 16u);
  for (const auto& q : ClusteredVectors(5, kDim, 20, 72)) {
    for (const SearchFilter* filter : {&by_kind, &by_region}) {
      const std::vector<Hit> hits = SearchOk(*index, q, 10, *filter);
      ASSERT_EQ(hits.size(), 10u);
      for (const Hit& h : hits) {
        EXPECT_TRUE(Passes(catalog.at(h.id), *filter)) << h.id;
      }
      if (GetParam() != 0) {
        ExpectSameHits(hits, BruteForce(catalog, q, 10, *filter));
      } else {
        ExpectApproximateHits(hits, BruteForce(catalog, q, 10, *filter), catalog, q);
      }
      // Asking for more than exist gives exactly the allowed ones.
      EXPECT_EQ(SearchOk(*index, q, 40, *filter).size(), 16u);
    }
  }
  // Allowed items split across main and growing still add up.
  ASSERT_TRUE(Upsert(*index, {{"new-rare", items[0].vector, Attrs(5)}}).ok());
  EXPECT_EQ(SearchOk(*index, items[0].vector, 40, by_kind).size(), 17u);
}

INSTANTIATE_TEST_SUITE_P(ExactThreshold, SelectiveFilter, ::testing::Values(0, 20000));

// A filter that excludes the best items of an HNSW main segment (large
// allowed set, graph path) still yields exactly k results, all allowed.
TEST(VectorIndexFilters, Search_FilteredGraphSearch_ReturnsMinOfKAndAllowed) {
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = 0;
  options.exact_search_cost_weight = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, MixedItems(ClusteredVectors(1500, kDim, 15, 81), "f"));
  ASSERT_TRUE(index->BuildMain().ok());
  for (const SearchFilter& filter : SampleFilters()) {
    const size_t allowed = CountPassing(catalog, filter);
    for (int k : {1, 10, 100}) {
      const std::vector<Hit> hits =
          SearchOk(*index, ClusteredVectors(1, kDim, 15, 82)[0], k, filter);
      EXPECT_EQ(hits.size(), std::min<size_t>(k, allowed));
      std::set<std::string> unique;
      for (const Hit& h : hits) {
        EXPECT_TRUE(Passes(catalog.at(h.id), filter)) << h.id;
        unique.insert(h.id);
      }
      EXPECT_EQ(unique.size(), hits.size());
    }
  }
}

// Ids resolved once leave the same items out as the same ids given by
// name, in the main segment and the growing one, and belong to their index.
TEST(VectorIndexFilters, Search_ExcludeResolved_LeavesOutTheSameItemsAsByName) {
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = 0;
  options.exact_search_cost_weight = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, MixedItems(ClusteredVectors(1500, kDim, 15, 91), "m"));
  ASSERT_TRUE(index->BuildMain().ok());
  UpsertAll(*index, catalog, MixedItems(ClusteredVectors(200, kDim, 15, 92), "g"));
  const std::vector<float> query = ClusteredVectors(1, kDim, 15, 93)[0];
  // The best hits of both segments, and an id the index does not hold.
  std::vector<std::string> excluded = {"unknown"};
  for (const Hit& h : SearchOk(*index, query, 30)) excluded.push_back(h.id);
  const std::vector<absl::string_view> views(excluded.begin(), excluded.end());

  SearchFilter by_name = AvailableFilter();
  by_name.exclude_ids = excluded;
  SearchFilter resolved = AvailableFilter();
  resolved.exclude_resolved = index->Resolve(views);
  const std::vector<Hit> hits = SearchOk(*index, query, 100, resolved);
  ASSERT_EQ(hits.size(), 100u);
  for (const Hit& h : hits) {
    EXPECT_EQ(std::find(excluded.begin(), excluded.end(), h.id), excluded.end()) << h.id;
    EXPECT_TRUE(Passes(catalog.at(h.id), resolved)) << h.id;
  }
  ExpectSameHits(hits, SearchOk(*index, query, 100, by_name));

  std::unique_ptr<VectorIndex> other = MakeIndex(options);
  EXPECT_EQ(other->Search(query, 10, resolved).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A rebuild renumbers the items: ids resolved before it are refused.
  ASSERT_TRUE(index->BuildMain().ok());
  EXPECT_EQ(index->Search(query, 10, resolved).status().code(),
            absl::StatusCode::kFailedPrecondition);
  resolved.exclude_resolved = index->Resolve(views);
  ExpectSameHits(SearchOk(*index, query, 100, resolved),
                 SearchOk(*index, query, 100, by_name));
}

// The main segment is scanned or walked by estimated cost, which follows
// the allowed fraction as well as the allowed count: a walk passes ~1/f
// nodes per allowed one.
TEST(SearchRouting, ExactScanIsCheaper_FollowsFractionAndCount) {
  // At 1M nodes and ef 100: scan up to a few percent, walk above.
  EXPECT_TRUE(ExactScanIsCheaper(10'000, 1'000'000, 100, 1.0));
  EXPECT_TRUE(ExactScanIsCheaper(30'000, 1'000'000, 100, 1.0));
  EXPECT_FALSE(ExactScanIsCheaper(50'000, 1'000'000, 100, 1.0));
  EXPECT_FALSE(ExactScanIsCheaper(100'000, 1'000'000, 100, 1.0));
  EXPECT_FALSE(ExactScanIsCheaper(1'000'000, 1'000'000, 100, 1.0));
  // The same 20k allowed ids: 2% of 1M is worth scanning, 20% of 100k is
  // not; 10% of 100k still is.
  EXPECT_TRUE(ExactScanIsCheaper(20'000, 1'000'000, 100, 1.0));
  EXPECT_FALSE(ExactScanIsCheaper(20'000, 100'000, 100, 1.0));
  EXPECT_TRUE(ExactScanIsCheaper(10'000, 100'000, 100, 1.0));
  // A wider beam makes the walk dearer.
  EXPECT_TRUE(ExactScanIsCheaper(50'000, 1'000'000, 500, 1.0));
  // Small graphs are scanned even unfiltered; large ones walked.
  EXPECT_TRUE(ExactScanIsCheaper(2'000, 2'000, 96, 1.0));
  EXPECT_FALSE(ExactScanIsCheaper(20'000, 20'000, 96, 1.0));
  // The weight: 0 never scans (but for nothing allowed), more scans more.
  EXPECT_FALSE(ExactScanIsCheaper(10, 1'000'000, 100, 0.0));
  EXPECT_TRUE(ExactScanIsCheaper(0, 1'000'000, 100, 0.0));
  EXPECT_TRUE(ExactScanIsCheaper(50'000, 1'000'000, 100, 2.0));
  EXPECT_FALSE(ExactScanIsCheaper(10, 0, 100, 1.0));
}

// With the cost model routing (no count floor), filters allowing 1% and 10%
// of an HNSW main segment are answered exactly: the true top-k of the
// allowed items, in order, whether k is below or above efSearch, and with
// allowed items in the growing segment too. Unfiltered, the same index is
// walked, so the filtered answers are not exact merely because it is small.
TEST(SearchRouting, Search_OnePercentAndTenPercentAllowed_ExactTopK) {
  constexpr int kN = 8000;
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = 0;
  options.hnsw_ef_search = 16;
  ASSERT_FALSE(ExactScanIsCheaper(kN, kN, options.hnsw_ef_search, 1.0));
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  std::vector<TestItem> items = PlainItems(ClusteredVectors(kN, kDim, 20, 141), "r");
  std::mt19937 rng(142);
  for (TestItem& item : items) {
    const int r = static_cast<int>(rng() % 100);
    item.attributes.kind = r == 0 ? 1 : (r < 10 ? 2 : 0);  // 1%, 9%, 90%
  }
  UpsertAll(*index, catalog, items);
  ASSERT_TRUE(index->BuildMain().ok());
  const SearchFilter one_percent = KindFilter(1u << 1);
  const SearchFilter ten_percent = KindFilter((1u << 1) | (1u << 2));
  EXPECT_NEAR(CountPassing(catalog, one_percent), kN / 100, kN / 200);
  EXPECT_NEAR(CountPassing(catalog, ten_percent), kN / 10, kN / 40);

  auto check = [&](absl::string_view stage) {
    for (const auto& q : ClusteredVectors(12, kDim, 20, 143)) {
      for (const SearchFilter* filter : {&one_percent, &ten_percent}) {
        for (int k : {10, 100}) {
          SCOPED_TRACE(::testing::Message()
                       << stage << ", k " << k << ", mask " << filter->kind_mask);
          ExpectSameHits(SearchOk(*index, q, k, *filter),
                         BruteForce(catalog, q, k, *filter));
        }
      }
    }
  };
  check("main");
  std::vector<TestItem> fresh = PlainItems(ClusteredVectors(200, kDim, 20, 144), "n");
  for (size_t i = 0; i < fresh.size(); ++i) fresh[i].attributes.kind = i % 2 ? 1 : 2;
  UpsertAll(*index, catalog, fresh);
  DeleteAll(*index, catalog, {"r1", "r2", "r3"});
  check("main+growing");
}

class AttributeOnlyUpsert : public ::testing::TestWithParam<bool> {};

// Same vector, new attributes: takes effect at once, and (in main) keeps
// the item's place in the main segment.
TEST_P(AttributeOnlyUpsert, Apply_AttributeOnlyUpsert_TakesEffect) {
  const bool in_main = GetParam();
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = 0;
  options.exact_search_cost_weight = 0;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(RandomVectors(300, kDim, 91), "p"));
  if (in_main) {
    ASSERT_TRUE(index->BuildMain().ok());
  }
  const IndexStats before = index->Stats();
  const std::vector<float> v = catalog.at("p42").vector;

  auto ids = [&](const SearchFilter& filter) {
    return Ids(SearchOk(*index, v, 300, filter));
  };
  const SearchFilter available = AvailableFilter();
  const SearchFilter in_sg = RegionFilter("sg");
  const SearchFilter kind3 = KindFilter(1u << 3);
  EXPECT_THAT(ids(available), ::testing::Contains("p42"));
  EXPECT_THAT(ids(kind3), Not(::testing::Contains("p42")));

  // Out of stock, restricted to "cn", kind 3.
  UpsertAll(*index, catalog, {{"p42", v, Attrs(3, {"cn"}, false)}});
  EXPECT_THAT(ids(available), Not(::testing::Contains("p42")));
  EXPECT_THAT(ids(in_sg), Not(::testing::Contains("p42")));
  EXPECT_THAT(ids(RegionFilter("cn")), ::testing::Contains("p42"));
  EXPECT_THAT(ids(kind3), ::testing::ElementsAre("p42"));
  EXPECT_THAT(ids({}), ::testing::Contains("p42"));

  const IndexStats after = index->Stats();
  EXPECT_EQ(after.live, before.live);
  EXPECT_EQ(after.main, before.main);
  EXPECT_EQ(after.growing, before.growing);

  // Back in stock and everywhere.
  UpsertAll(*index, catalog, {{"p42", v, Attrs(0, {}, true)}});
  EXPECT_THAT(ids(available), ::testing::Contains("p42"));
  EXPECT_THAT(ids(in_sg), ::testing::Contains("p42"));
  EXPECT_THAT(ids(kind3), ::testing::IsEmpty());
  std::multiset<std::string> all;
  for (const std::string& id : ids({})) all.insert(id);
  EXPECT_EQ(all.count("p42"), 1u);
  EXPECT_EQ(all.size(), 300u);
}

INSTANTIATE_TEST_SUITE_P(Segment, AttributeOnlyUpsert, ::testing::Bool());

// ---------------------------------------------------------------------------
// Snapshots

class Snapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = Options("HNSW32,Flat");
    options_.exact_search_max_candidates = 0;  // exercise the loaded graph
    options_.exact_search_cost_weight = 0;
    index_ = MakeIndex(options_);
    ASSERT_NE(index_, nullptr);
    UpsertAll(*index_, catalog_, MixedItems(ClusteredVectors(800, kDim, 12, 101), "s"));
    ASSERT_TRUE(index_->BuildMain().ok());
    UpsertAll(*index_, catalog_, MixedItems(ClusteredVectors(60, kDim, 12, 102), "g"));
    DeleteAll(*index_, catalog_, {"s1", "s2", "s3", "g1"});
    // Attribute-only change in main, replacement of a main item.
    UpsertAll(*index_, catalog_,
              {{"s10", catalog_.at("s10").vector, Attrs(7, {"xx"})},
               {"s11", std::vector<float>(kDim, 0.25f), {}}});
    ASSERT_TRUE(Upsert(*index_, {}, 1234).ok());
    snapshot_ = dir_.path() / "snap-1";
    ASSERT_TRUE(index_->SaveSnapshot(snapshot_, "v1").ok());
  }

  absl::Status Load(const IndexOptions& options) {
    return VectorIndex::LoadSnapshot(snapshot_, options).status();
  }

  static void FlipByte(const fs::path& file, std::streamoff offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << file;
    f.seekg(offset);
    char c = 0;
    f.read(&c, 1);
    ASSERT_TRUE(f.good());
    c = static_cast<char>(c ^ 0x5A);
    f.seekp(offset);
    f.write(&c, 1);
    ASSERT_TRUE(f.good());
  }

  ScopedDir dir_;
  IndexOptions options_;
  std::unique_ptr<VectorIndex> index_;
  Catalog catalog_;
  fs::path snapshot_;
};

TEST_F(Snapshot, SaveLoad_RoundTrip_SameResultsAndStats) {
  EXPECT_TRUE(fs::exists(snapshot_ / "MANIFEST"));
  EXPECT_FALSE(fs::exists(snapshot_.string() + ".tmp"));
  absl::StatusOr<std::unique_ptr<VectorIndex>> loaded =
      VectorIndex::LoadSnapshot(snapshot_, options_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  const IndexStats a = index_->Stats();
  const IndexStats b = (*loaded)->Stats();
  EXPECT_EQ(a.live, static_cast<int64_t>(catalog_.size()));
  EXPECT_EQ(b.live, a.live);
  EXPECT_EQ(b.main, a.main);
  EXPECT_EQ(b.growing, a.growing);
  EXPECT_GT(b.main, 0);
  EXPECT_GT(b.growing, 0);
  EXPECT_EQ(b.watermark, 1234u);
  EXPECT_EQ(b.factory, a.factory);
  EXPECT_EQ(b.dim, kDim);
  EXPECT_EQ(a.version, "v1");
  EXPECT_EQ(b.version, "v1");

  std::vector<SearchFilter> filters = SampleFilters();
  filters.push_back(MakeFilter(1u << 7, "xx", false));
  for (const auto& q : ClusteredVectors(8, kDim, 12, 103)) {
    for (const SearchFilter& filter : filters) {
      const std::vector<Hit> want = SearchOk(*index_, q, 10, filter);
      const std::vector<Hit> got = SearchOk(**loaded, q, 10, filter);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id);
        EXPECT_EQ(got[i].score, want[i].score);
      }
    }
  }
  EXPECT_THAT(Ids(SearchOk(**loaded, catalog_.at("s10").vector, 5,
                           MakeFilter(1u << 7, "xx", false))),
              ::testing::ElementsAre("s10"));
  EXPECT_FALSE((*loaded)->Vector("s1").has_value());
  EXPECT_EQ(*(*loaded)->Vector("s11"), std::vector<float>(kDim, 0.25f));

  // The loaded index keeps working: writes, rebuilds and searches.
  UpsertAll(**loaded, catalog_, PlainItems(RandomVectors(5, kDim, 104), "after"));
  DeleteAll(**loaded, catalog_, {"s20"});
  ASSERT_TRUE((*loaded)->BuildMain().ok());
  EXPECT_EQ((*loaded)->Stats().live, static_cast<int64_t>(catalog_.size()));
  const std::vector<float> q = RandomVectors(1, kDim, 105)[0];
  const std::vector<Hit> hits = SearchOk(**loaded, q, static_cast<int>(catalog_.size()));
  EXPECT_EQ(hits.size(), catalog_.size());
}

TEST_F(Snapshot, SaveLoad_OnlyGrowingSegment_RoundTrips) {
  std::unique_ptr<VectorIndex> fresh = MakeIndex(Options("Flat"));
  Catalog catalog;
  UpsertAll(*fresh, catalog, MixedItems(RandomVectors(50, kDim, 106), "z"));
  DeleteAll(*fresh, catalog, {"z0"});
  const fs::path dir = dir_.path() / "growing-only";
  ASSERT_TRUE(fresh->SaveSnapshot(dir, "g").ok());
  EXPECT_FALSE(fs::exists(dir / "main.faiss"));
  absl::StatusOr<std::unique_ptr<VectorIndex>> loaded =
      VectorIndex::LoadSnapshot(dir, Options("Flat"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->Stats().live, 49);
  EXPECT_EQ((*loaded)->Stats().main, 0);
  const std::vector<float> q = RandomVectors(1, kDim, 107)[0];
  ExpectSameHits(SearchOk(**loaded, q, 10), BruteForce(catalog, q, 10));
}

// The growing segment holds its rows in blocks of RowBlocks::kBlockRows:
// searches, replacements, deletes and snapshots see rows on both sides of
// each block's edge.
TEST_F(Snapshot, SaveLoad_GrowingSegmentOverSeveralBlocks_RoundTrips) {
  std::unique_ptr<VectorIndex> fresh = MakeIndex(Options("Flat"));
  Catalog catalog;
  const int n = 2 * static_cast<int>(RowBlocks::kBlockRows) + 100;
  UpsertAll(*fresh, catalog, MixedItems(RandomVectors(n, kDim, 108), "b"));
  const int edge = static_cast<int>(RowBlocks::kBlockRows);
  const std::string last_of_first = Id("b", edge - 1);
  const std::string first_of_second = Id("b", edge);
  UpsertAll(*fresh, catalog, {{first_of_second, std::vector<float>(kDim, 0.5f), {}}});
  DeleteAll(*fresh, catalog, {last_of_first});
  EXPECT_EQ(fresh->Stats().growing, n - 1);

  const fs::path dir = dir_.path() / "blocks";
  ASSERT_TRUE(fresh->SaveSnapshot(dir, "b").ok());
  absl::StatusOr<std::unique_ptr<VectorIndex>> loaded =
      VectorIndex::LoadSnapshot(dir, Options("Flat"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (const VectorIndex* index : {fresh.get(), loaded->get()}) {
    EXPECT_EQ(index->Stats().live, n - 1);
    EXPECT_FALSE(index->Vector(last_of_first).has_value());
    EXPECT_EQ(*index->Vector(first_of_second), std::vector<float>(kDim, 0.5f));
    for (int i : {0, edge - 2, edge + 1, 2 * edge - 1, 2 * edge, n - 1}) {
      const std::string id = Id("b", i);
      EXPECT_EQ(*index->Vector(id), catalog.at(id).vector) << id;
    }
    for (const auto& q : RandomVectors(3, kDim, 109)) {
      ExpectSameHits(SearchOk(*index, q, 50), BruteForce(catalog, q, 50));
      const SearchFilter filter = MakeFilter(1u << 2, "sg", true);
      ExpectSameHits(SearchOk(*index, q, 20, filter), BruteForce(catalog, q, 20, filter));
    }
  }
}

TEST_F(Snapshot, LoadSnapshot_TruncatedFile_Refused) {
  for (const char* name : {"vectors.f32", "main.faiss", "ids.bin", "attributes.bin"}) {
    const fs::path copy = dir_.path() / (std::string("t-") + name);
    fs::copy(snapshot_, copy, fs::copy_options::recursive);
    const fs::path file = copy / name;
    fs::resize_file(file, fs::file_size(file) - 3);
    EXPECT_FALSE(VectorIndex::LoadSnapshot(copy, options_).ok()) << name;
  }
  // And the untouched original still loads.
  EXPECT_TRUE(Load(options_).ok());
}

TEST_F(Snapshot, LoadSnapshot_FlippedByteInVectors_Refused) {
  FlipByte(snapshot_ / "vectors.f32", 4 * kDim * 5 + 2);
  const absl::Status status = Load(options_);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
}

TEST_F(Snapshot, LoadSnapshot_FlippedByteInMainIndex_Refused) {
  FlipByte(snapshot_ / "main.faiss", fs::file_size(snapshot_ / "main.faiss") / 2);
  const absl::Status status = Load(options_);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
}

TEST_F(Snapshot, LoadSnapshot_OtherDimension_Refused) {
  IndexOptions other = options_;
  other.dim = kDim + 1;
  EXPECT_FALSE(Load(other).ok());

  // A MANIFEST that claims another dimension than the configured one.
  std::ifstream in(snapshot_ / "MANIFEST");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  in.close();
  const std::string from = "dimension: " + std::to_string(kDim);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, from.size(), "dimension: " + std::to_string(kDim + 1));
  std::ofstream(snapshot_ / "MANIFEST", std::ios::trunc) << text;
  EXPECT_FALSE(Load(options_).ok());
  EXPECT_FALSE(Load(other).ok());  // files hold kDim-sized vectors
}

TEST_F(Snapshot, LoadSnapshot_MissingFile_Refused) {
  for (const char* name :
       {"MANIFEST", "vectors.f32", "main.faiss", "ids.bin", "attributes.bin"}) {
    const fs::path copy = dir_.path() / (std::string("m-") + name);
    fs::copy(snapshot_, copy, fs::copy_options::recursive);
    ASSERT_TRUE(fs::remove(copy / name));
    EXPECT_FALSE(VectorIndex::LoadSnapshot(copy, options_).ok()) << name;
  }
  EXPECT_FALSE(VectorIndex::LoadSnapshot(dir_.path() / "nowhere", options_).ok());
}

TEST_F(Snapshot, SaveSnapshot_ExistingDir_Fails) {
  // Into the snapshot just written, and into an unrelated existing dir.
  const auto manifest_size = fs::file_size(snapshot_ / "MANIFEST");
  EXPECT_FALSE(index_->SaveSnapshot(snapshot_, "v2").ok());
  EXPECT_EQ(fs::file_size(snapshot_ / "MANIFEST"), manifest_size);
  const fs::path other = dir_.path() / "occupied";
  fs::create_directories(other);
  std::ofstream(other / "keep") << "x";
  EXPECT_FALSE(index_->SaveSnapshot(other, "v2").ok());
  EXPECT_TRUE(fs::exists(other / "keep"));
  EXPECT_FALSE(fs::exists(other / "MANIFEST"));
  EXPECT_EQ(index_->Stats().version, "v1");
  // The original snapshot is intact.
  EXPECT_TRUE(Load(options_).ok());
}

TEST_F(Snapshot, SaveSnapshot_RelativeDirName_Succeeds) {
  // A bare name, relative to the working directory: its parent path is
  // empty, which must mean ".", not an error after the rename.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_.path());
  const absl::Status saved = index_->SaveSnapshot("relative-snap", "rel");
  fs::current_path(cwd);
  ASSERT_TRUE(saved.ok()) << saved;
  EXPECT_EQ(index_->Stats().version, "rel");
  absl::StatusOr<std::unique_ptr<VectorIndex>> loaded =
      VectorIndex::LoadSnapshot(dir_.path() / "relative-snap", options_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->Stats().live, index_->Stats().live);
}

// Each vector lives once in memory: in the main segment's own storage when
// it keeps float rows, else in the index. Either way a snapshot's vectors.f32
// holds every internal id's row in id order (the layout older code reads),
// and a loaded or compacted index has the same vectors and answers.
class RowsPerFactory : public ::testing::TestWithParam<const char*> {
 protected:
  // Main segment, growing segment, deletes in both and a replaced main item.
  void Fill(VectorIndex& index) {
    UpsertAll(index, catalog_, MixedItems(ClusteredVectors(700, kDim, 12, 131), "m"));
    ASSERT_TRUE(index.BuildMain().ok());
    UpsertAll(index, catalog_, MixedItems(ClusteredVectors(40, kDim, 12, 132), "g"));
    DeleteAll(index, catalog_, {"m0", "m7", "g3"});
    UpsertAll(index, catalog_, {{"m9", std::vector<float>(kDim, 0.5f), Attrs(1)}});
  }

  // Exact answers, so the oracle applies whatever the factory.
  IndexOptions ExactOptions() const {
    IndexOptions options = Options(GetParam());
    options.exact_search_max_candidates = std::numeric_limits<int>::max();
    return options;
  }

  void ExpectSameAsCatalog(const VectorIndex& index) {
    EXPECT_EQ(index.Stats().live, static_cast<int64_t>(catalog_.size()));
    for (const auto& [id, item] : catalog_) {
      const std::optional<std::vector<float>> v = index.Vector(id);
      ASSERT_TRUE(v.has_value()) << id;
      EXPECT_EQ(*v, item.vector) << id;
    }
    EXPECT_FALSE(index.Vector("m0").has_value());
    for (const auto& q : ClusteredVectors(5, kDim, 12, 133)) {
      for (const SearchFilter& filter : SampleFilters()) {
        ExpectSameHits(SearchOk(index, q, 15, filter),
                       BruteForce(catalog_, q, 15, filter));
      }
    }
  }

  ScopedDir dir_;
  Catalog catalog_;
};

TEST_P(RowsPerFactory, SaveLoad_VectorsFileHoldsEveryRowInIdOrder) {
  std::unique_ptr<VectorIndex> index = MakeIndex(ExactOptions());
  Fill(*index);
  ExpectSameAsCatalog(*index);
  const fs::path snapshot = dir_.path() / "snap";
  ASSERT_TRUE(index->SaveSnapshot(snapshot, "v").ok());

  // ids.bin: per internal id, a u32 length and the bytes. A live id's row in
  // vectors.f32 is its vector; a dead one still takes its place.
  std::ifstream ids_in(snapshot / "ids.bin", std::ios::binary);
  std::string ids_bytes((std::istreambuf_iterator<char>(ids_in)),
                        std::istreambuf_iterator<char>());
  std::ifstream vectors_in(snapshot / "vectors.f32", std::ios::binary);
  std::string vector_bytes((std::istreambuf_iterator<char>(vectors_in)),
                           std::istreambuf_iterator<char>());
  std::vector<std::string> internal_ids;
  for (size_t at = 0; at + 4 <= ids_bytes.size();) {
    uint32_t size;
    std::memcpy(&size, ids_bytes.data() + at, 4);
    internal_ids.push_back(ids_bytes.substr(at + 4, size));
    at += 4 + size;
  }
  ASSERT_EQ(vector_bytes.size(), internal_ids.size() * kDim * sizeof(float));
  EXPECT_EQ(internal_ids.size(), catalog_.size() + 4);  // 3 deleted, 1 replaced
  size_t live_rows = 0;
  for (size_t i = 0; i < internal_ids.size(); ++i) {
    std::vector<float> row(kDim);
    std::memcpy(row.data(), vector_bytes.data() + i * kDim * sizeof(float),
                kDim * sizeof(float));
    auto it = catalog_.find(internal_ids[i]);
    if (it != catalog_.end() && it->second.vector == row) ++live_rows;
  }
  EXPECT_EQ(live_rows, catalog_.size());

  absl::StatusOr<std::unique_ptr<VectorIndex>> loaded =
      VectorIndex::LoadSnapshot(snapshot, ExactOptions());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameAsCatalog(**loaded);
  // Writes to the loaded index land beside the rows it did not read.
  UpsertAll(**loaded, catalog_, PlainItems(RandomVectors(5, kDim, 134), "after"));
  ExpectSameAsCatalog(**loaded);
  ASSERT_TRUE((*loaded)->BuildMain().ok());
  ExpectSameAsCatalog(**loaded);
}

TEST_P(RowsPerFactory, Compacted_OutlivesOriginalWithSameVectors) {
  std::unique_ptr<VectorIndex> index = MakeIndex(ExactOptions());
  Fill(*index);
  absl::StatusOr<std::unique_ptr<VectorIndex>> compacted = index->Compacted(1);
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  index.reset();  // the compacted index must own every row it reads
  EXPECT_EQ((*compacted)->Stats().growing, 0);
  EXPECT_EQ((*compacted)->Stats().dead, 0);
  ExpectSameAsCatalog(**compacted);
  UpsertAll(**compacted, catalog_, PlainItems(RandomVectors(5, kDim, 135), "after"));
  ExpectSameAsCatalog(**compacted);
}

// Float rows in the segment (HNSW over flat storage, Flat) and not (IVF
// lists, quantised codes).
INSTANTIATE_TEST_SUITE_P(Factories, RowsPerFactory,
                         ::testing::Values("HNSW32,Flat", "Flat", "IVF16,Flat",
                                           "HNSW16_SQ8"));

TEST(VectorIndexBuild, BuildMain_TooFewVectorsToTrainIvf_FailsWithoutChange) {
  std::unique_ptr<VectorIndex> index = MakeIndex(Options("IVF16,Flat"));
  Catalog catalog;
  UpsertAll(*index, catalog, PlainItems(RandomVectors(10, kDim, 121), "t"));
  EXPECT_FALSE(index->BuildMain().ok());  // 10 points cannot train 16 lists
  const IndexStats stats = index->Stats();
  EXPECT_EQ(stats.live, 10);
  EXPECT_EQ(stats.growing, 10);
  EXPECT_EQ(stats.main, 0);
  const std::vector<float> q = RandomVectors(1, kDim, 122)[0];
  ExpectSameHits(SearchOk(*index, q, 5), BruteForce(catalog, q, 5));
}

// ---------------------------------------------------------------------------
// Concurrency

TEST(VectorIndexConcurrency, Search_WhileApplyingAndRebuilding_NoCrashOnlyKnownIds) {
  IndexOptions options = Options("HNSW32,Flat");
  options.exact_search_max_candidates = 100;  // mix graph and exact paths
  options.exact_search_cost_weight = 0;
  options.build_threads = 1;
  std::unique_ptr<VectorIndex> index = MakeIndex(options);
  const auto base = ClusteredVectors(500, kDim, 10, 111);
  const auto extra = ClusteredVectors(600, kDim, 10, 112);
  ASSERT_TRUE(Upsert(*index, MixedItems(base, "o")).ok());
  ASSERT_TRUE(index->BuildMain().ok());

  std::set<std::string> universe;
  for (size_t i = 0; i < base.size(); ++i) universe.insert(Id("o", i));
  for (size_t i = 0; i < extra.size(); ++i) universe.insert(Id("n", i));

  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::atomic<int> bad_ids{0};
  std::atomic<int> failures{0};
  const auto queries = ClusteredVectors(16, kDim, 10, 113);
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      int i = t;
      do {
        const SearchFilter filter =
            i % 3 == 0 ? SearchFilter{} : KindFilter(1u << (i % 4));
        absl::StatusOr<std::vector<Hit>> hits =
            index->Search(queries[i % queries.size()], 10, filter);
        if (!hits.ok() || hits->size() != 10u) {
          failures.fetch_add(1);
        } else {
          std::set<std::string> seen;
          for (const Hit& h : *hits) {
            if (!universe.contains(h.id) || !seen.insert(h.id).second) {
              bad_ids.fetch_add(1);
            }
          }
        }
        searches.fetch_add(1);
        ++i;
      } while (!done.load());
    });
  }

  const std::vector<TestItem> extras = MixedItems(extra, "n");
  for (size_t batch = 0; batch < 120; ++batch) {
    std::vector<IndexChange> changes;
    for (size_t j = 0; j < 5; ++j) {
      const TestItem& item = extras[(batch * 5 + j) % extras.size()];
      changes.push_back({item.id, item.vector, item.attributes});
    }
    changes.push_back({Id("o", (batch * 3) % base.size()), {}, {}});
    changes.push_back({Id("n", (batch * 7) % extra.size()), {}, {}});
    // EXPECT, not ASSERT: the readers must be joined before returning.
    EXPECT_TRUE(index->Apply(changes, batch + 1).ok());
    if (batch == 60) {
      EXPECT_TRUE(index->BuildMain().ok());
    }
  }
  done.store(true);
  for (std::thread& t : readers) t.join();

  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bad_ids.load(), 0);
  EXPECT_EQ(index->Stats().watermark, 120u);
}

}  // namespace
}  // namespace zhongcao::index
