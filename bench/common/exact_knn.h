// Exact top-k by inner product: the ground truth that ANN recall is measured
// against, computed with FAISS's blocked BLAS scan on every core.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace zhongcao::bench {

// nq rows of k row indexes into the base set, best first; -1 pads a row
// when the set has fewer than k candidates.
struct Neighbours {
  int k = 0;
  std::vector<int64_t> ids;

  const int64_t* row(int64_t q) const { return ids.data() + q * k; }
  int64_t queries() const { return k == 0 ? 0 : static_cast<int64_t>(ids.size()) / k; }
};

// The k rows of `base` (n x dim) nearest to each query (nq x dim). When
// `exclude` is not empty, exclude[q] (a row, or -1) is never an answer to
// query q: queries taken from the set must not find themselves. Runs on
// `threads` OpenMP threads (0: all cores) and restores the caller's setting.
Neighbours ExactKnn(const float* base, int64_t n, int dim, const float* queries,
                    int64_t nq, int k, std::span<const int64_t> exclude = {},
                    int threads = 0);

// The same over the rows listed in `subset` only (a filter's allowed set);
// the answers are rows of `base`, not positions in `subset`.
Neighbours ExactKnnSubset(const float* base, int dim, std::span<const int64_t> subset,
                          const float* queries, int64_t nq, int k, int threads = 0);

// |found ∩ truth[0, k)| / k, where `found` holds up to k row indexes.
double RecallAt(std::span<const int64_t> found, const int64_t* truth, int k);

}  // namespace zhongcao::bench
