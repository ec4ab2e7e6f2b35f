#include "bench/common/exact_knn.h"

#include <omp.h>

#include <algorithm>
#include <thread>

#include "faiss/utils/distances.h"

namespace zhongcao::bench {
namespace {

class OpenMpThreads {
 public:
  explicit OpenMpThreads(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(
        threads > 0 ? threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  }
  ~OpenMpThreads() { omp_set_num_threads(saved_); }
  OpenMpThreads(const OpenMpThreads&) = delete;
  OpenMpThreads& operator=(const OpenMpThreads&) = delete;

 private:
  int saved_;
};

}  // namespace

Neighbours ExactKnn(const float* base, int64_t n, int dim, const float* queries,
                    int64_t nq, int k, std::span<const int64_t> exclude, int threads) {
  OpenMpThreads omp(threads);
  // One extra answer so that dropping the query's own row still leaves k.
  const int wide = exclude.empty() ? k : k + 1;
  std::vector<float> scores(static_cast<size_t>(nq) * wide);
  std::vector<int64_t> ids(static_cast<size_t>(nq) * wide, -1);
  // In slices: the result heaps of all queries at once would be fine, but
  // FAISS's BLAS path allocates nq x block scores per call.
  constexpr int64_t kSlice = 1024;
  for (int64_t q0 = 0; q0 < nq; q0 += kSlice) {
    const int64_t count = std::min(kSlice, nq - q0);
    faiss::knn_inner_product(queries + q0 * dim, base, dim, count, n, wide,
                             scores.data() + q0 * wide, ids.data() + q0 * wide);
  }
  Neighbours out;
  out.k = k;
  out.ids.assign(static_cast<size_t>(nq) * k, -1);
  for (int64_t q = 0; q < nq; ++q) {
    const int64_t skip = exclude.empty() ? -2 : exclude[q];
    int taken = 0;
    for (int j = 0; j < wide && taken < k; ++j) {
      const int64_t id = ids[q * wide + j];
      if (id < 0 || id == skip) continue;
      out.ids[q * k + taken++] = id;
    }
  }
  return out;
}

Neighbours ExactKnnSubset(const float* base, int dim, std::span<const int64_t> subset,
                          const float* queries, int64_t nq, int k, int threads) {
  std::vector<float> gathered(subset.size() * dim);
  for (size_t i = 0; i < subset.size(); ++i) {
    std::copy_n(base + subset[i] * dim, dim, gathered.data() + i * dim);
  }
  Neighbours local = ExactKnn(gathered.data(), static_cast<int64_t>(subset.size()), dim,
                              queries, nq, k, {}, threads);
  for (int64_t& id : local.ids) {
    if (id >= 0) id = subset[id];
  }
  return local;
}

double RecallAt(std::span<const int64_t> found, const int64_t* truth, int k) {
  int wanted = 0;
  int hits = 0;
  for (int j = 0; j < k; ++j) {
    if (truth[j] < 0) continue;
    ++wanted;
    const size_t limit = std::min<size_t>(found.size(), k);
    for (size_t f = 0; f < limit; ++f) {
      if (found[f] == truth[j]) {
        ++hits;
        break;
      }
    }
  }
  return wanted == 0 ? 1.0 : static_cast<double>(hits) / wanted;
}

}  // namespace zhongcao::bench
