// Unit tests of the ANN hot path: the inner-product kernels against a
// double-precision reference and the storage that gives FAISS's HNSW build
// our kernel.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <typeinfo>
#include <vector>

#include "faiss/IndexFlat.h"
#include "faiss/IndexHNSW.h"
#include "faiss/impl/DistanceComputer.h"
#include "faiss/impl/io.h"
#include "faiss/index_factory.h"
#include "faiss/index_io.h"
#include "gtest/gtest.h"
#include "index/flat_ip_storage.h"
#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

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
