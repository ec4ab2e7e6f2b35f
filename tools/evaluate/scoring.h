// Scores recommendation lists against held-out items: HR, recall and NDCG
// at K (binary relevance, full catalog), catalog coverage and intra-list
// diversity, each with a 95% confidence interval.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tools/train/als.h"

namespace zhongcao::evaluate {

// A statistic and its 95% confidence interval [low, high]; `n` is the
// number of users it is over.
struct Interval {
  double value = 0;
  double low = 0;
  double high = 0;
  int64_t n = 0;
};

// The mean of per-user values with the normal approximation:
// mean +- 1.96 * sample standard deviation / sqrt(n). Empty: all zeros.
Interval MeanInterval(std::span<const double> values);

// Unit-length item vectors for intra-list diversity: the trained embeddings
// the server serves. An item with a zero vector has none.
class ItemVectors {
 public:
  ItemVectors() = default;
  explicit ItemVectors(const train::FactorMatrix& items);
  // 1 - cosine of the two items' vectors; nullopt when either has none.
  std::optional<double> Distance(int32_t a, int32_t b) const;

 private:
  train::FactorMatrix unit_;
  std::vector<bool> has_;
};

struct MetricsAt {
  int k = 0;
  Interval hit;     // HR@K: 1 if any held-out item is in the top K
  Interval recall;  // held-out items in the top K / held-out items
  Interval ndcg;
  // Distinct items in all users' top K / catalog items; the interval is a
  // seeded bootstrap over users (percentiles 2.5 and 97.5).
  Interval coverage;
  // Per user, the mean of 1 - cosine over pairs of the top K items that
  // have vectors; users with fewer than two such items are left out.
  Interval diversity;
};

// One user as scoring sees them: what they went on to interact with
// (sorted, distinct) and what they were recommended, best first.
struct ScoredUser {
  const std::vector<int32_t>* relevant = nullptr;
  const std::vector<int32_t>* ranked = nullptr;
};

struct ScoreOptions {
  std::vector<int> ks = {10, 20};
  int32_t catalog_items = 0;             // the denominator of coverage
  const ItemVectors* vectors = nullptr;  // null: no diversity
  int bootstrap_samples = 200;
  uint64_t seed = 42;
};

// Deterministic for a given seed.
std::vector<MetricsAt> ScoreUsers(std::span<const ScoredUser> users,
                                  const ScoreOptions& options);

}  // namespace zhongcao::evaluate
