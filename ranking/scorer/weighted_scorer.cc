#include "ranking/scorer/weighted_scorer.h"

#include <algorithm>
#include <cmath>

namespace zhongcao::ranking {
namespace {

float Similarity(const Candidate& c, const FeedContext& context) {
  if (c.retrieval_similarity.has_value()) return *c.retrieval_similarity;
  const auto& embedding = c.item->embedding();
  if (context.user_vector.empty() ||
      embedding.size() != static_cast<int>(context.user_vector.size())) {
    return 0;
  }
  float dot = 0;
  for (int i = 0; i < embedding.size(); ++i) dot += embedding[i] * context.user_vector[i];
  return dot;
}

}  // namespace

float EngagementFeature(const store::ItemCounters& c, const v1::Item& item) {
  const double e = c.clicks() + 2.0 * c.likes() + 2.0 * c.comments() + 3.0 * c.saves() +
                   3.0 * c.shares() + 5.0 * c.add_to_carts() + 10.0 * c.purchases() +
                   0.1 * item.product().sales();
  return static_cast<float>(std::min(1.0, std::log1p(e) / std::log1p(10000.0)));
}

void WeightedScorer::Score(const FeedContext& context,
                           std::vector<Candidate>* candidates) const {
  for (Candidate& c : *candidates) {
    const v1::Item& item = *c.item;
    const double age_hours =
        std::max<int64_t>(0, context.now_ms - item.created_at_ms()) / 3.6e6;
    const float features[] = {
        Similarity(c, context),
        EngagementFeature(c.counters, item),
        static_cast<float>(std::exp2(-age_hours / weights_.freshness_half_life_hours)),
        context.following.contains(item.creator_id()) ? 1.0f : 0.0f,
    };
    const float weights[] = {weights_.similarity, weights_.engagement, weights_.freshness,
                             weights_.following};
    const char* names[] = {"similarity", "engagement", "freshness", "following"};
    c.score = 0;
    c.contributions.clear();
    for (int f = 0; f < 4; ++f) {
      const float part = weights[f] * features[f];
      c.score += part;
      if (part != 0) c.contributions.emplace_back(names[f], part);
    }
  }
}

}  // namespace zhongcao::ranking
