// Unit tests of the ANN hot path: the inner-product kernels against a
// double-precision reference, our HNSW search over FAISS's graph (recall,
// allow-list, order, files that plain FAISS still reads) and the storage
// that gives FAISS's build our kernel.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "faiss/IndexFlat.h"
#include "faiss/IndexHNSW.h"
#include "faiss/impl/DistanceComputer.h"
#include "faiss/impl/io.h"
#include "faiss/index_factory.h"
#include "faiss/index_io.h"
#include "gtest/gtest.h"
#include "index/exact_scan.h"
#include "index/faiss_segment.h"
#include "index/flat_ip_storage.h"
#include "index/hnsw_search.h"
#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

namespace fs = std::filesystem;

double Reference(const float* a, const float* b, size_t d) {
  double sum = 0;
  for (size_t i = 0; i < d; ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

// Summation order differs between kernels; the error bound scales with the
// sum of |a_i * b_i|, not with the (possibly cancelling) result.
double Tolerance(const float* a, const float* b, size_t d) {
  double magnitude = 0;
  for (size_t i = 0; i < d; ++i) magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
  return 1e-6 * magnitude + 1e-7;
}

TEST(IndexInnerProduct, Kernels_AnyDimAndAlignment_MatchReference) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<float> a(140 + 8), b(140 + 8);
  for (float& x : a) x = uniform(rng);
  for (float& x : b) x = uniform(rng);
  for (size_t d = 1; d <= 130; ++d) {
    // Offsets of 0..7 floats put the rows at every 32-byte misalignment.
    for (size_t off_a = 0; off_a < 8; off_a += 3) {
      for (size_t off_b = 0; off_b < 8; ++off_b) {
        const float* pa = a.data() + off_a;
        const float* pb = b.data() + off_b;
        const double want = Reference(pa, pb, d);
        const double tolerance = Tolerance(pa, pb, d);
        EXPECT_NEAR(InnerProductPortable(pa, pb, d), want, tolerance) << "d=" << d;
        EXPECT_NEAR(InnerProduct(pa, pb, d), want, tolerance) << "d=" << d;
        if (HaveAvx2Fma()) {
          EXPECT_NEAR(InnerProductAvx2(pa, pb, d), want, tolerance) << "d=" << d;
        }
      }
    }
  }
  if (!HaveAvx2Fma()) GTEST_SKIP() << "no AVX2/FMA: only the portable kernel ran";
}

TEST(IndexInnerProduct, Kernels_ZeroLength_IsZero) {
  const float x = 1.0f;
  EXPECT_EQ(InnerProductPortable(&x, &x, 0), 0.0f);
  EXPECT_EQ(InnerProduct(&x, &x, 0), 0.0f);
}

// ---------------------------------------------------------------------------

constexpr int kDim = 32;
constexpr int kCount = 4000;
constexpr int kK = 10;

// Unit vectors around a few centres, like embeddings.
std::vector<float> Clustered(int n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(40, std::vector<float>(dim));
  for (auto& c : centres) {
    for (float& x : c) x = normal(rng);
  }
  std::vector<float> out(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    const std::vector<float>& c = centres[rng() % centres.size()];
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      float& x = out[static_cast<size_t>(i) * dim + j];
      x = c[j] + 0.5f * normal(rng);
      norm += static_cast<double>(x) * x;
    }
    for (int j = 0; j < dim; ++j) {
      out[static_cast<size_t>(i) * dim + j] /= std::sqrt(norm);
    }
  }
  return out;
}

Roaring AllOf(int n) {
  Roaring all;
  all.addRange(0, n);
  return all;
}

class HnswSearch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vectors_ = new std::vector<float>(Clustered(kCount, kDim, 1));
    queries_ = new std::vector<float>(Clustered(100, kDim, 2));
    absl::StatusOr<std::unique_ptr<FaissSegment>> segment = FaissSegment::Build(
        "HNSW32,Flat", kDim, vectors_->data(), kCount, 80, {.hnsw_ef_search = 128}, 1);
    ASSERT_TRUE(segment.ok()) << segment.status();
    segment_ = segment->release();
  }
  static void TearDownTestSuite() {
    delete segment_;
    delete vectors_;
    delete queries_;
  }

  std::span<const float> Query(int i) const {
    return {queries_->data() + static_cast<size_t>(i) * kDim, kDim};
  }
  std::vector<std::pair<uint32_t, float>> Exact(int i, const Roaring& allowed,
                                                int k = kK) const {
    return ExactTopK(Query(i), vectors_->data(), kDim, allowed, 0, kCount, k);
  }
  float Dot(int query, int64_t row) const {
    return static_cast<float>(
        Reference(Query(query).data(), vectors_->data() + row * kDim, kDim));
  }

  // Fraction of the exact top-k that `segment` finds, over all queries.
  double Recall(const FaissSegment& segment, const Roaring& allowed) const {
    size_t found = 0, wanted = 0;
    for (int i = 0; i < static_cast<int>(queries_->size() / kDim); ++i) {
      std::set<int64_t> truth;
      for (const auto& [id, score] : Exact(i, allowed)) truth.insert(id);
      absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
          segment.Search(Query(i), kK, allowed);
      EXPECT_TRUE(hits.ok()) << hits.status();
      if (!hits.ok()) return 0;
      for (const auto& [label, score] : *hits) found += truth.count(label);
      wanted += truth.size();
    }
    return static_cast<double>(found) / wanted;
  }

  static std::vector<float>* vectors_;
  static std::vector<float>* queries_;
  static FaissSegment* segment_;
};

std::vector<float>* HnswSearch::vectors_ = nullptr;
std::vector<float>* HnswSearch::queries_ = nullptr;
FaissSegment* HnswSearch::segment_ = nullptr;

TEST_F(HnswSearch, Build_HnswFlat_SearchedByOurLoop) {
  EXPECT_TRUE(segment_->owns_graph_search());
}

TEST_F(HnswSearch, Search_Unfiltered_RecallAtLeast95Percent) {
  EXPECT_GE(Recall(*segment_, AllOf(kCount)), 0.95);
}

TEST_F(HnswSearch, Search_Unfiltered_KDistinctHitsBestFirstWithTrueScores) {
  const Roaring all = AllOf(kCount);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
        segment_->Search(Query(i), kK, all);
    ASSERT_TRUE(hits.ok()) << hits.status();
    ASSERT_EQ(hits->size(), static_cast<size_t>(kK));
    std::set<int64_t> seen;
    for (size_t j = 0; j < hits->size(); ++j) {
      const auto& [label, score] = (*hits)[j];
      ASSERT_GE(label, 0);
      ASSERT_LT(label, kCount);
      EXPECT_TRUE(seen.insert(label).second) << "duplicate " << label;
      EXPECT_NEAR(score, Dot(i, label), 1e-4);
      if (j > 0) {
        EXPECT_GE((*hits)[j - 1].second, score);
      }
    }
  }
}

TEST_F(HnswSearch, Search_AllowList_NeverReturnsDisallowedAndKeepsRecall) {
  std::mt19937 rng(3);
  Roaring allowed;
  for (uint32_t id = 0; id < kCount; ++id) {
    if (rng() % 10 < 3) allowed.add(id);
  }
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
        segment_->Search(Query(i), kK, allowed);
    ASSERT_TRUE(hits.ok()) << hits.status();
    EXPECT_EQ(hits->size(), static_cast<size_t>(kK));
    for (const auto& [label, score] : *hits) {
      EXPECT_TRUE(allowed.contains(label)) << label << " is not allowed";
    }
  }
  EXPECT_GE(Recall(*segment_, allowed), 0.95);
}

TEST_F(HnswSearch, Search_FewAllowed_ReturnsOnlyThose) {
  const Roaring allowed = Roaring::bitmapOf(3, 17u, 900u, 3999u);
  absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
      segment_->Search(Query(0), kK, allowed);
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_LE(hits->size(), 3u);
  for (const auto& [label, score] : *hits) EXPECT_TRUE(allowed.contains(label));
}

TEST_F(HnswSearch, Search_NothingAllowed_NoHits) {
  absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
      segment_->Search(Query(0), kK, Roaring());
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_TRUE(hits->empty());
}

TEST_F(HnswSearch, Search_KBeyondEf_ReturnsK) {
  const int k = 200;  // above ef_search (128): the beam grows to k
  absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
      segment_->Search(Query(1), k, AllOf(kCount));
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_EQ(hits->size(), static_cast<size_t>(k));
}

TEST_F(HnswSearch, Search_PortableKernel_SameHitsUpToRounding) {
  const Roaring all = AllOf(kCount);
  std::vector<std::vector<std::pair<int64_t, float>>> fast;
  for (int i = 0; i < 50; ++i) fast.push_back(*segment_->Search(Query(i), kK, all));
  struct Portable {
    Portable() { HnswFlatSearch::UsePortableKernelForTesting(true); }
    ~Portable() { HnswFlatSearch::UsePortableKernelForTesting(false); }
  } portable_while_in_scope;
  EXPECT_GE(Recall(*segment_, all), 0.95);
  size_t same = 0;
  for (int i = 0; i < 50; ++i) {
    const std::vector<std::pair<int64_t, float>> portable =
        *segment_->Search(Query(i), kK, all);
    ASSERT_EQ(portable.size(), fast[i].size());
    for (size_t j = 0; j < portable.size(); ++j) {
      same += portable[j].first == fast[i][j].first;
      EXPECT_NEAR(portable[j].second, Dot(i, portable[j].first), 1e-4);
    }
  }
  // Rounding may swap near-ties or steer the walk elsewhere, rarely.
  EXPECT_GE(same, 50u * kK * 95 / 100);
}

TEST_F(HnswSearch, Search_FromSeveralThreads_SameAnswers) {
  const Roaring all = AllOf(kCount);
  std::vector<std::vector<std::pair<int64_t, float>>> expected;
  for (int i = 0; i < 30; ++i) expected.push_back(*segment_->Search(Query(i), kK, all));
  std::vector<int> mismatches(3, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 30; ++i) {
          if (*segment_->Search(Query(i), kK, all) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(3, 0));
}

TEST_F(HnswSearch, SaveLoad_SameAnswersAndPlainFaissReadsTheFile) {
  const fs::path file = fs::temp_directory_path() /
                        ("zhongcao_hnsw_test_" + std::to_string(::getpid()) + ".faiss");
  ASSERT_TRUE(segment_->Save(file).ok());
  absl::StatusOr<std::unique_ptr<FaissSegment>> loaded =
      FaissSegment::Load(file, "HNSW32,Flat", kDim, {.hnsw_ef_search = 128});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE((*loaded)->owns_graph_search());
  const Roaring all = AllOf(kCount);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(*(*loaded)->Search(Query(i), kK, all),
              *segment_->Search(Query(i), kK, all));
  }

  // The file is a standard FAISS index: plain read_index gives stock types
  // whose own search finds the same neighbours.
  std::unique_ptr<faiss::Index> plain(faiss::read_index(file.c_str()));
  fs::remove(file);
  auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(plain.get());
  ASSERT_NE(hnsw, nullptr);
  ASSERT_NE(hnsw->storage, nullptr);
  EXPECT_EQ(typeid(*hnsw->storage), typeid(faiss::IndexFlatIP));
  EXPECT_EQ(plain->ntotal, kCount);
  hnsw->hnsw.efSearch = 128;
  size_t found = 0;
  for (int i = 0; i < 50; ++i) {
    std::vector<float> distances(kK);
    std::vector<faiss::Index::idx_t> labels(kK);
    plain->search(1, Query(i).data(), kK, distances.data(), labels.data());
    std::set<int64_t> truth;
    for (const auto& [id, score] : Exact(i, all)) truth.insert(id);
    for (faiss::Index::idx_t label : labels) found += truth.count(label);
  }
  EXPECT_GE(found, 50u * kK * 95 / 100);
}

TEST(IndexHnswSearch, OtherFactories_LeftToFaiss) {
  const std::vector<float> vectors = Clustered(2000, kDim, 4);
  for (const char* factory : {"Flat", "IVF8,Flat", "HNSW16_SQ8"}) {
    absl::StatusOr<std::unique_ptr<FaissSegment>> segment =
        FaissSegment::Build(factory, kDim, vectors.data(), 2000, 40, {}, 1);
    ASSERT_TRUE(segment.ok()) << factory << ": " << segment.status();
    EXPECT_FALSE((*segment)->owns_graph_search()) << factory;
    absl::StatusOr<std::vector<std::pair<int64_t, float>>> hits =
        (*segment)->Search({vectors.data(), kDim}, 5, AllOf(2000));
    ASSERT_TRUE(hits.ok()) << factory << ": " << hits.status();
    EXPECT_EQ(hits->size(), 5u) << factory;
  }
}

TEST_F(HnswSearch, Rows_AreTheBuiltVectorsBeforeAndAfterLoad) {
  ASSERT_NE(segment_->rows(), nullptr);
  EXPECT_TRUE(std::equal(vectors_->begin(), vectors_->end(), segment_->rows()));
  const fs::path file = fs::temp_directory_path() /
                        ("zhongcao_rows_test_" + std::to_string(::getpid()) + ".faiss");
  ASSERT_TRUE(segment_->Save(file).ok());
  absl::StatusOr<std::unique_ptr<FaissSegment>> loaded =
      FaissSegment::Load(file, "HNSW32,Flat", kDim, {});
  fs::remove(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE((*loaded)->rows(), nullptr);
  EXPECT_TRUE(std::equal(vectors_->begin(), vectors_->end(), (*loaded)->rows()));
}

TEST(IndexFaissSegment, Rows_OnlyWhereStoredAsFloats) {
  const std::vector<float> vectors = Clustered(2000, kDim, 9);
  for (const char* factory : {"Flat", "HNSW16,Flat", "IVF8,Flat", "HNSW16_SQ8"}) {
    absl::StatusOr<std::unique_ptr<FaissSegment>> segment =
        FaissSegment::Build(factory, kDim, vectors.data(), 2000, 40, {}, 1);
    ASSERT_TRUE(segment.ok()) << factory << ": " << segment.status();
    const bool floats = std::string(factory).ends_with("Flat") &&
                        std::string(factory).find("IVF") == std::string::npos;
    if (floats) {
      ASSERT_NE((*segment)->rows(), nullptr) << factory;
      EXPECT_TRUE(std::equal(vectors.begin(), vectors.end(), (*segment)->rows()))
          << factory;
    } else {
      EXPECT_EQ((*segment)->rows(), nullptr) << factory;
    }
  }
}

TEST(IndexHnswSearch, For_NeighbourOutOfRange_Refused) {
  const std::vector<float> vectors = Clustered(500, kDim, 5);
  std::unique_ptr<faiss::Index> index(
      faiss::index_factory(kDim, "HNSW16,Flat", faiss::METRIC_INNER_PRODUCT));
  index->add(500, vectors.data());
  ASSERT_TRUE(HnswFlatSearch::For(*index).ok());
  auto& graph = dynamic_cast<faiss::IndexHNSW&>(*index).hnsw;
  graph.neighbors[graph.offsets[7]] = 500;
  absl::StatusOr<std::unique_ptr<HnswFlatSearch>> search = HnswFlatSearch::For(*index);
  EXPECT_FALSE(search.ok());
}

TEST(IndexFlatIpStorage, Adopt_HnswFlat_ComputesInnerProductsAndKeepsVectors) {
  const std::vector<float> vectors = Clustered(1000, kDim, 6);
  std::unique_ptr<faiss::Index> index(
      faiss::index_factory(kDim, "HNSW16,Flat", faiss::METRIC_INNER_PRODUCT));
  index->add(400, vectors.data());
  ASSERT_TRUE(AdoptFlatIpStorage(index.get()));
  auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get());
  auto* storage = dynamic_cast<FlatIpStorage*>(hnsw->storage);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->ntotal, 400);
  // Adding after the swap extends the same rows.
  index->add(600, vectors.data() + 400 * kDim);
  ASSERT_EQ(storage->ntotal, 1000);
  EXPECT_TRUE(std::equal(vectors.begin(), vectors.end(), storage->get_xb()));

  std::unique_ptr<faiss::DistanceComputer> distances(storage->get_distance_computer());
  const float* q = vectors.data() + 5 * kDim;
  distances->set_query(q);
  for (int64_t i : {0, 5, 399, 400, 999}) {
    const float* row = vectors.data() + i * kDim;
    EXPECT_NEAR((*distances)(i), Reference(q, row, kDim), 1e-5);
    EXPECT_NEAR(distances->symmetric_dis(i, 5), Reference(row, q, kDim), 1e-5);
  }
}

TEST(IndexFlatIpStorage, Adopted_WrittenAsPlainFaissFlatIp) {
  const std::vector<float> vectors = Clustered(300, kDim, 8);
  std::unique_ptr<faiss::Index> index(
      faiss::index_factory(kDim, "HNSW16,Flat", faiss::METRIC_INNER_PRODUCT));
  ASSERT_TRUE(AdoptFlatIpStorage(index.get()));
  index->add(300, vectors.data());
  faiss::VectorIOWriter writer;
  faiss::write_index(index.get(), &writer);
  faiss::VectorIOReader reader;
  reader.data = std::move(writer.data);
  std::unique_ptr<faiss::Index> read(faiss::read_index(&reader));
  auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(read.get());
  ASSERT_NE(hnsw, nullptr);
  ASSERT_NE(hnsw->storage, nullptr);
  EXPECT_EQ(typeid(*hnsw->storage), typeid(faiss::IndexFlatIP));
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(hnsw->storage);
  ASSERT_EQ(flat->ntotal, 300);
  EXPECT_TRUE(std::equal(vectors.begin(), vectors.end(), flat->get_xb()));
}

TEST(IndexFlatIpStorage, Adopt_NotHnswFlat_Declined) {
  for (const char* factory : {"Flat", "HNSW16_SQ8"}) {
    std::unique_ptr<faiss::Index> index(
        faiss::index_factory(kDim, factory, faiss::METRIC_INNER_PRODUCT));
    EXPECT_FALSE(AdoptFlatIpStorage(index.get())) << factory;
  }
}

}  // namespace
}  // namespace zhongcao::index
