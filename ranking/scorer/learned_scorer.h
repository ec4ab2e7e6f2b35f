// Scoring with a learned model: LearnedScorer ranks with one RankerModel;
// ModelOrWeightedScorer is the pipeline's scorer, which uses the slot's
// model when one is loaded and the request's settings ask for it
// ("scorer.learned", an arm can turn it off), and the weighted sum
// otherwise, so the weighted sum is both the fallback and an A/B arm.
#pragma once

#include <memory>
#include <vector>

#include "ranking/scorer/ranker_model.h"
#include "ranking/scorer/weighted_scorer.h"

namespace zhongcao::ranking {

class LearnedScorer : public Scorer {
 public:
  explicit LearnedScorer(std::shared_ptr<const RankerModel> model)
      : model_(std::move(model)) {}

  // The score is the model's output for the candidate's ranking features,
  // all candidates in one prediction. Contributions are "model" (the score)
  // and, as "feature:<name>", each non-zero input: a tree model has no
  // additive parts, so the inputs are the explanation. Should the model
  // fail (it was checked at load, so it should not), the weighted sum
  // scores instead.
  void Score(const FeedContext& context, const ScoringWeights& weights,
             std::vector<Candidate>* candidates) const override;
  // As Score, but says when the model could not score (the candidates are
  // then untouched).
  absl::Status TryScore(const FeedContext& context, const ScoringWeights& weights,
                        std::vector<Candidate>* candidates) const;

 private:
  std::shared_ptr<const RankerModel> model_;
};

class ModelOrWeightedScorer : public Scorer {
 public:
  // `slot` must outlive the scorer.
  explicit ModelOrWeightedScorer(const RankerModelSlot& slot) : slot_(slot) {}

  // The learned model when the slot holds one and weights.learned is 1;
  // else the weighted sum.
  void Score(const FeedContext& context, const ScoringWeights& weights,
             std::vector<Candidate>* candidates) const override;

 private:
  const RankerModelSlot& slot_;
  WeightedScorer weighted_;
};

}  // namespace zhongcao::ranking
