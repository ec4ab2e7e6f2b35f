#include "ranking/scorer/weighted_scorer.h"

#include "ranking/prefetch.h"

namespace zhongcao::ranking {

void WeightedScorer::Score(const FeedContext& context, const ScoringWeights& w,
                           std::vector<Candidate>* candidates) const {
  const std::vector<std::string>& names = RankingFeatureNames();
  const std::vector<float> weights = RankingFeatureWeights(w);
  // Hydration shared the candidates' counter rows without reading them.
  for (const Candidate& c : *candidates) Prefetch(c.counters.get());
  for (Candidate& c : *candidates) {
    c.features.resize(names.size());
    ComputeRankingFeatures(context, w, c, c.features);
    c.score = 0;
    c.contributions.clear();
    c.contributions.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      const float part = weights[i] * c.features[i];
      c.score += part;
      if (part != 0) c.contributions.emplace_back(names[i], part);
    }
  }
}

}  // namespace zhongcao::ranking
