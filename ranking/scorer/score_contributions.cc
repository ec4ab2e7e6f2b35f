#include "ranking/scorer/score_contributions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ranking/scorer/ranking_features.h"

namespace zhongcao::ranking {

std::vector<std::pair<std::string, float>> ScoreContributions(
    const Candidate& c, const ScoringWeights& weights) {
  const std::vector<std::string>& names = RankingFeatureNames();
  const size_t n = std::min(names.size(), c.features.size());
  std::vector<std::pair<std::string, float>> parts;
  switch (c.scored_by) {
    case ScoredBy::kWeightedSum: {
      const std::vector<float> w = RankingFeatureWeights(weights);
      for (size_t i = 0; i < n; ++i) {
        const float part = w[i] * c.features[i];
        if (part != 0) parts.emplace_back(names[i], part);
      }
      break;
    }
    case ScoredBy::kModel:
      parts.emplace_back("model", c.scorer_score);
      for (size_t i = 0; i < n; ++i) {
        if (c.features[i] != 0) {
          parts.emplace_back(absl::StrCat("feature:", names[i]), c.features[i]);
        }
      }
      break;
    case ScoredBy::kNone:
      break;
  }
  parts.insert(parts.end(), c.added_contributions.begin(), c.added_contributions.end());
  return parts;
}

}  // namespace zhongcao::ranking
