// Models as the evaluator sees them: a score for every item for a batch of
// users. ALS scores by inner product; the popularity baseline ignores the user.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/train/als.h"
#include "tools/train/feedback_matrix.h"

namespace zhongcao::train {

class ItemScorer {
 public:
  virtual ~ItemScorer() = default;
  virtual int32_t items() const = 0;
  // out[j * items() + i] is item i's score for users[j]; higher ranks first.
  virtual void Score(std::span<const int32_t> users, std::span<float> out) const = 0;
};

class AlsScorer : public ItemScorer {
 public:
  explicit AlsScorer(const AlsModel& model) : model_(model) {}
  int32_t items() const override { return static_cast<int32_t>(model_.items.rows()); }
  void Score(std::span<const int32_t> users, std::span<float> out) const override;

 private:
  const AlsModel& model_;
};

// The most popular items first: popularity is the number of users with
// positive feedback on the item in `train`.
class PopularityScorer : public ItemScorer {
 public:
  explicit PopularityScorer(const FeedbackMatrix& train);
  int32_t items() const override { return static_cast<int32_t>(popularity_.size()); }
  void Score(std::span<const int32_t> users, std::span<float> out) const override;

 private:
  std::vector<float> popularity_;
};

}  // namespace zhongcao::train
