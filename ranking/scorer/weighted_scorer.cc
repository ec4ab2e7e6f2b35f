#include "ranking/scorer/weighted_scorer.h"

#include "ranking/prefetch.h"

namespace zhongcao::ranking {

void WeightedScorer::Score(const FeedContext& context, const ScoringWeights& w,
                           std::vector<Candidate>* candidates) const {
  const std::vector<float> weights = RankingFeatureWeights(w);
  // Hydration shared the candidates' counter rows without reading them.
  for (const Candidate& c : *candidates) Prefetch(c.counters.get());
  for (Candidate& c : *candidates) {
    c.features.resize(weights.size());
    ComputeRankingFeatures(context, w, c, c.features);
    c.score = 0;
    for (size_t i = 0; i < weights.size(); ++i) c.score += weights[i] * c.features[i];
    c.scorer_score = c.score;
    c.scored_by = ScoredBy::kWeightedSum;
  }
}

}  // namespace zhongcao::ranking
