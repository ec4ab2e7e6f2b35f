// The evaluator's own baselines, ranked on the same split and with the same
// masking as the server (every item in the user's training history is
// left out): popularity, and item-to-item kNN on training co-occurrence.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/evaluate/ranked_lists.h"
#include "tools/train/evaluation.h"
#include "tools/train/feedback_matrix.h"
#include "tools/train/scorers.h"

namespace zhongcao::evaluate {

// Item-based kNN (Sarwar et al. 2001): the cosine of two items' user sets
// in the training matrix (a user counts once whatever their events), each
// item keeping its `neighbors` most similar items (0: all); a user's score
// for an item is the sum of its similarities to the items in their row.
class ItemKnnScorer final : public train::ItemScorer {
 public:
  ItemKnnScorer(const train::FeedbackMatrix& train, int neighbors);
  int32_t items() const override { return items_; }
  void Score(std::span<const int32_t> users, std::span<float> out) const override;

  struct Neighbor {
    int32_t item;
    float similarity;
  };
  // Most similar first.
  std::span<const Neighbor> Neighbors(int32_t item) const;

 private:
  const train::FeedbackMatrix& train_;
  int32_t items_;
  std::vector<int64_t> start_;
  std::vector<Neighbor> neighbors_;
};

// The best `k` items for each target user, skipping the items in the user's
// row of `seen`; ties go to the lower item index. Deterministic for any
// `threads`.
std::vector<UserList> RankForUsers(const train::ItemScorer& scorer,
                                   const train::FeedbackMatrix& seen,
                                   std::span<const train::UserTargets> targets, int k,
                                   int threads);

}  // namespace zhongcao::evaluate
