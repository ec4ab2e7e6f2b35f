// Offline evaluation of a model against held-out interactions, ranking over
// all items: each user's training items are masked, the best K are taken
// and recall, NDCG and hit rate are averaged over the users.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/train/feedback_matrix.h"
#include "tools/train/interaction_log.h"
#include "tools/train/metrics.h"
#include "tools/train/scorers.h"

namespace zhongcao::train {

// The held-out items of one user, sorted and distinct.
struct UserTargets {
  int32_t user = 0;
  std::vector<int32_t> items;
};

// Groups held-out events by user, in user index order.
std::vector<UserTargets> GroupByUser(std::span<const Interaction> held_out);

struct Evaluation {
  // Users with held-out items and training feedback. Users without training
  // feedback are left out for every model alike: no model can rank for them.
  int64_t users = 0;
  int64_t users_without_feedback = 0;
  std::vector<int> ks;
  std::vector<RankingMetrics> at;  // at[j] is the mean at ks[j]

  const RankingMetrics& At(int k) const;  // k must be one of ks
};

// Deterministic for any `threads`.
Evaluation Evaluate(const ItemScorer& scorer, const FeedbackMatrix& train,
                    std::span<const UserTargets> targets, std::vector<int> ks,
                    int threads);

// The best `k` items of one user's `scores`, skipping `masked` items (sorted);
// ties go to the lower item index. `order` is scratch space.
void TopK(std::span<const float> scores, std::span<const FeedbackMatrix::Entry> masked,
          int k, std::vector<int32_t>& order, std::vector<int32_t>& top);

}  // namespace zhongcao::train
