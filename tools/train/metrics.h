// Top-K ranking metrics of one ranked list against the items a user went on
// to interact with, and their mean over users. Binary relevance.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace zhongcao::train {

struct RankingMetrics {
  double recall = 0;  // relevant items in the top K / relevant items
  double ndcg = 0;    // DCG of the top K / the best possible DCG at K
  double hit = 0;     // 1 if any relevant item is in the top K (HR@K)
};

// `ranked` is best first and may be longer than k; `relevant` is sorted and
// distinct. An empty `relevant` gives all zeros.
RankingMetrics MetricsAtK(std::span<const int32_t> ranked,
                          std::span<const int32_t> relevant, int k);

// Means over users. Adding in a fixed order gives the same sums every time.
class MetricsMean {
 public:
  void Add(const RankingMetrics& m);
  RankingMetrics Mean() const;
  int64_t count() const { return count_; }

 private:
  RankingMetrics sum_;
  int64_t count_ = 0;
};

}  // namespace zhongcao::train
