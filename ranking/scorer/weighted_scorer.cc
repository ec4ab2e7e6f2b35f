#include "ranking/scorer/weighted_scorer.h"

namespace zhongcao::ranking {

void WeightedScorer::Score(const FeedContext& context, const ScoringWeights& w,
                           std::vector<Candidate>* candidates) const {
  const std::vector<std::string>& names = RankingFeatureNames();
  const std::vector<float> weights = RankingFeatureWeights(w);
  std::vector<float> features(names.size());
  for (Candidate& c : *candidates) {
    ComputeRankingFeatures(context, w, c, features);
    c.score = 0;
    c.contributions.clear();
    c.features.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      const float part = weights[i] * features[i];
      c.score += part;
      if (part != 0) c.contributions.emplace_back(names[i], part);
      c.features.emplace_back(names[i], features[i]);
    }
  }
}

}  // namespace zhongcao::ranking
