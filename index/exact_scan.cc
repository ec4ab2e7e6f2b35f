#include "index/exact_scan.h"

#include <algorithm>

#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

bool Better(const std::pair<uint32_t, float>& a, const std::pair<uint32_t, float>& b) {
  if (a.second != b.second) return a.second > b.second;
  return a.first < b.first;
}

// The best k of the allowed ids in [begin, end), `row_of(id)` their rows.
template <typename RowOf>
std::vector<std::pair<uint32_t, float>> TopKOf(std::span<const float> query, int dim,
                                               const Roaring& allowed, uint32_t begin,
                                               uint32_t end, int k, const RowOf& row_of) {
  std::vector<std::pair<uint32_t, float>> heap;
  if (k <= 0 || begin >= end) return heap;
  heap.reserve(k + 1);
  auto worse_on_top = [](const auto& a, const auto& b) { return Better(a, b); };
  auto it = allowed.begin();
  it.equalorlarger(begin);
  for (; it != allowed.end() && *it < end; ++it) {
    const uint32_t id = *it;
    const float score = InnerProduct(query.data(), row_of(id), dim);
    std::pair<uint32_t, float> hit{id, score};
    if (static_cast<int>(heap.size()) < k) {
      heap.push_back(hit);
      std::push_heap(heap.begin(), heap.end(), worse_on_top);
    } else if (Better(hit, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), worse_on_top);
      heap.back() = hit;
      std::push_heap(heap.begin(), heap.end(), worse_on_top);
    }
  }
  std::sort(heap.begin(), heap.end(), Better);
  return heap;
}

}  // namespace

std::vector<std::pair<uint32_t, float>> ExactTopK(std::span<const float> query,
                                                  const float* vectors, int dim,
                                                  const Roaring& allowed, uint32_t begin,
                                                  uint32_t end, int k) {
  if (begin >= end) return {};
  return ExactTopKInRange(query, vectors + static_cast<size_t>(begin) * dim, dim, allowed,
                          begin, end, k);
}

std::vector<std::pair<uint32_t, float>> ExactTopKInRange(std::span<const float> query,
                                                         const float* rows, int dim,
                                                         const Roaring& allowed,
                                                         uint32_t begin, uint32_t end,
                                                         int k) {
  return TopKOf(query, dim, allowed, begin, end, k, [&](uint32_t id) {
    return rows + static_cast<size_t>(id - begin) * dim;
  });
}

std::vector<std::pair<uint32_t, float>> ExactTopKInBlocks(
    std::span<const float> query, std::span<const float* const> blocks, size_t block_rows,
    int dim, const Roaring& allowed, uint32_t begin, uint32_t end, int k) {
  return TopKOf(query, dim, allowed, begin, end, k, [&](uint32_t id) {
    const size_t i = id - begin;
    return blocks[i / block_rows] + (i % block_rows) * dim;
  });
}

// Costs in units of one row scored by the scan, which scores every allowed
// row. A walk that keeps only allowed nodes passes about 1/f nodes for each
// one it keeps (f: allowed / nodes), so it scores about
// ef * (kWalkRows + kWalkRowsPerFraction / f) rows' worth, neighbour lists
// and heaps included.
//
// Measured with zhongcao's walk and scan, one thread, on the bench's
// clustered 64-dim vectors (bench/common/clustered_embeddings.h), HNSW32,
// efConstruction 80, k 100 so ef 100, random allow-lists:
//   1M:   scan 57 ns/row at 2% allowed, 95 at 5%; walk 5.1 ms at 2%,
//         2.4 ms at 5%, 1.2 ms at 10%, 0.26 ms unfiltered. Break-even at
//         3.7% allowed, 37k rows.
//   100k: scan ~36 ns/row; walk 0.67 ms at 10%, 0.38 ms at 20%. Break-even
//         at 14% allowed, 14k rows.
// ef * (50 + 12 / f) gives 37k rows at 3.7% and 13.6k at 14%: both
// break-evens. No fixed allowed count fits both, nor does a fixed
// fraction: a count of 20000 alone (the old rule) walks 20k-37k allowed of
// 1M at up to 2x the scan's cost, and scans 14k-20k of 100k where the walk
// is up to 2x cheaper (IndexOptions::exact_search_max_candidates still
// does by default, for exact answers).
// Both costs scale with the dimension alike, so the ratio should carry over
// to other dimensions; `walk_weight` corrects it for other machines.
constexpr double kWalkRows = 50;
constexpr double kWalkRowsPerFraction = 12;

bool ExactScanIsCheaper(uint64_t allowed, uint64_t nodes, int ef, double walk_weight) {
  if (allowed == 0) return true;
  if (nodes == 0 || walk_weight <= 0) return false;
  const double fraction = static_cast<double>(allowed) / static_cast<double>(nodes);
  const double walk_rows = ef * (kWalkRows + kWalkRowsPerFraction / fraction);
  return static_cast<double>(allowed) <= walk_weight * walk_rows;
}

}  // namespace zhongcao::index
