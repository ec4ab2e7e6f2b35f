#include "ranking/scorer/weighted_scorer.h"

#include <algorithm>
#include <cmath>

namespace zhongcao::ranking {
namespace {

float Dot(const std::vector<float>& a, const google::protobuf::RepeatedField<float>& b) {
  if (a.empty() || b.size() != static_cast<int>(a.size())) return 0;
  float dot = 0;
  for (int i = 0; i < b.size(); ++i) dot += a[i] * b[i];
  return dot;
}

float Log10k(double x) {
  return static_cast<float>(std::min(1.0, std::log1p(x) / std::log1p(10000.0)));
}

float CreatorTrust(const v1::Creator* creator) {
  if (creator == nullptr) return 0.2f;
  switch (creator->tier()) {
    case v1::CREATOR_TIER_KOC:
      return 1.0f;
    case v1::CREATOR_TIER_KOL:
      return 0.7f;
    case v1::CREATOR_TIER_BRAND_STAFF:
      return 0.4f;
    case v1::CREATOR_TIER_BRAND:
      return 0.3f;
    default:
      return 0.2f;
  }
}

float PriceFit(const v1::Item& item, double typical_price_cents) {
  if (item.kind() != v1::ITEM_KIND_PRODUCT || typical_price_cents <= 0 ||
      item.product().price_cents() <= 0) {
    return 0;
  }
  return static_cast<float>(
      std::exp(-std::abs(std::log(item.product().price_cents() / typical_price_cents))));
}

}  // namespace

float EngagementFeature(const store::ItemCounters& c) {
  const double e = c.clicks() + 2.0 * c.likes() + 2.0 * c.comments() + 3.0 * c.saves() +
                   3.0 * c.shares();
  const double rate = std::min(1.0, e / (c.impressions() + 20.0));
  return 0.5f * Log10k(e) + 0.5f * static_cast<float>(rate);
}

float PurchaseSignal(const store::ItemCounters& c, const v1::Item& product) {
  return Log10k(5.0 * c.add_to_carts() + 10.0 * c.purchases() +
                0.1 * product.product().sales());
}

void WeightedScorer::Score(const FeedContext& context, const ScoringWeights& w,
                           std::vector<Candidate>* candidates) const {
  for (Candidate& c : *candidates) {
    const v1::Item& item = *c.item;
    const double age_hours =
        std::max<int64_t>(0, context.now_ms - item.created_at_ms()) / 3.6e6;
    const float purchase = item.kind() == v1::ITEM_KIND_PRODUCT
                               ? PurchaseSignal(c.counters, item)
                               : 0.5f * c.linked_purchase_signal;
    struct Part {
      const char* name;
      float weight;
      float feature;
    };
    const Part parts[] = {
        // Computed from the embeddings, not taken from a source: a source's
        // retrieval score may be against another vector (session, item).
        {"similarity", w.similarity, Dot(context.user_vector, item.embedding())},
        {"session_similarity", w.session_similarity,
         Dot(context.session_vector, item.embedding())},
        {"engagement", w.engagement, EngagementFeature(c.counters)},
        {"purchase", w.purchase, purchase},
        {"freshness", w.freshness,
         static_cast<float>(std::exp2(-age_hours / w.freshness_half_life_hours))},
        {"following", w.following,
         context.following.contains(item.creator_id()) ? 1.0f : 0.0f},
        {"creator_trust", w.creator_trust, CreatorTrust(c.creator)},
        {"price_fit", w.price_fit, PriceFit(item, context.typical_price_cents)},
    };
    c.score = 0;
    c.contributions.clear();
    c.features.clear();
    for (const auto& [name, weight, feature] : parts) {
      const float part = weight * feature;
      c.score += part;
      if (part != 0) c.contributions.emplace_back(name, part);
      c.features.emplace_back(name, feature);
    }
  }
}

}  // namespace zhongcao::ranking
