#include "tools/train/metrics.h"

#include <algorithm>
#include <cmath>

namespace zhongcao::train {

RankingMetrics MetricsAtK(std::span<const int32_t> ranked,
                          std::span<const int32_t> relevant, int k) {
  RankingMetrics m;
  if (relevant.empty() || k <= 0) return m;
  const size_t depth = std::min(ranked.size(), static_cast<size_t>(k));
  double dcg = 0;
  int hits = 0;
  for (size_t r = 0; r < depth; ++r) {
    if (std::binary_search(relevant.begin(), relevant.end(), ranked[r])) {
      ++hits;
      dcg += 1 / std::log2(static_cast<double>(r) + 2);
    }
  }
  double ideal = 0;
  const size_t best = std::min(relevant.size(), static_cast<size_t>(k));
  for (size_t r = 0; r < best; ++r) ideal += 1 / std::log2(static_cast<double>(r) + 2);
  m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  m.ndcg = dcg / ideal;
  m.hit = hits > 0 ? 1 : 0;
  return m;
}

void MetricsMean::Add(const RankingMetrics& m) {
  sum_.recall += m.recall;
  sum_.ndcg += m.ndcg;
  sum_.hit += m.hit;
  ++count_;
}

RankingMetrics MetricsMean::Mean() const {
  if (count_ == 0) return {};
  const auto n = static_cast<double>(count_);
  return RankingMetrics{sum_.recall / n, sum_.ndcg / n, sum_.hit / n};
}

}  // namespace zhongcao::train
