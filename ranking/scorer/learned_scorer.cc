#include "ranking/scorer/learned_scorer.h"

#include <string>

#include "ranking/prefetch.h"
#include "ranking/scorer/ranking_features.h"

namespace zhongcao::ranking {

absl::Status LearnedScorer::TryScore(const FeedContext& context,
                                     const ScoringWeights& weights,
                                     std::vector<Candidate>* candidates) const {
  const std::vector<std::string>& names = RankingFeatureNames();
  const size_t cols = names.size();
  std::vector<float> rows(candidates->size() * cols);
  // Hydration shared the candidates' counter rows without reading them.
  for (const Candidate& c : *candidates) Prefetch(c.counters.get());
  for (size_t i = 0; i < candidates->size(); ++i) {
    ComputeRankingFeatures(context, weights, (*candidates)[i],
                           std::span<float>(rows).subspan(i * cols, cols));
  }
  std::vector<float> scores(candidates->size());
  if (absl::Status s = model_->Predict(rows, scores); !s.ok()) return s;
  for (size_t i = 0; i < candidates->size(); ++i) {
    Candidate& c = (*candidates)[i];
    c.score = scores[i];
    c.scorer_score = scores[i];
    c.scored_by = ScoredBy::kModel;
    c.features.assign(rows.begin() + i * cols, rows.begin() + (i + 1) * cols);
  }
  return absl::OkStatus();
}

void LearnedScorer::Score(const FeedContext& context, const ScoringWeights& weights,
                          std::vector<Candidate>* candidates) const {
  // Checked at load, so a failure here is not expected; the request is
  // still served, by the weighted sum.
  if (!TryScore(context, weights, candidates).ok()) {
    WeightedScorer().Score(context, weights, candidates);
  }
}

void ModelOrWeightedScorer::Score(const FeedContext& context,
                                  const ScoringWeights& weights,
                                  std::vector<Candidate>* candidates) const {
  if (weights.learned != 0) {
    if (std::shared_ptr<const RankerModel> model = slot_.Current(); model != nullptr) {
      LearnedScorer(std::move(model)).Score(context, weights, candidates);
      return;
    }
  }
  weighted_.Score(context, weights, candidates);
}

}  // namespace zhongcao::ranking
