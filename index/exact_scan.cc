#include "index/exact_scan.h"

#include <algorithm>

#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

bool Better(const std::pair<uint32_t, float>& a, const std::pair<uint32_t, float>& b) {
  if (a.second != b.second) return a.second > b.second;
  return a.first < b.first;
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
  std::vector<std::pair<uint32_t, float>> heap;
  if (k <= 0 || begin >= end) return heap;
  heap.reserve(k + 1);
  auto worse_on_top = [](const auto& a, const auto& b) { return Better(a, b); };
  auto it = allowed.begin();
  it.equalorlarger(begin);
  for (; it != allowed.end() && *it < end; ++it) {
    const uint32_t id = *it;
    const float score =
        InnerProduct(query.data(), rows + static_cast<size_t>(id - begin) * dim, dim);
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

}  // namespace zhongcao::index
