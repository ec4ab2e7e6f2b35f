#include "ranking/scorer/ranking_features.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "index/inner_product.h"
#include "xxhash.h"

namespace zhongcao::ranking {
namespace {

struct FeatureInput {
  const FeedContext& context;
  const ScoringWeights& weights;
  const Candidate& c;
  const v1::Item& item;
};

// One feature: its name (in models, examples and explanations), its weight
// in the weighted sum, and its value for a candidate.
struct FeatureDef {
  const char* name;
  float ScoringWeights::*weight;
  float (*compute)(const FeatureInput&);
};

float Dot(std::span<const float> a, std::span<const float> b) {
  if (a.empty() || b.size() != a.size()) return 0;
  return index::InnerProduct(a.data(), b.data(), a.size());
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

using W = ScoringWeights;
using In = FeatureInput;

// The list. Append new features at the end; see the header.
constexpr FeatureDef kFeatures[] = {
    // Computed from the embeddings, not taken from a source: a source's
    // retrieval score may be against another vector (session, item).
    {"similarity", &W::similarity,
     [](const In& in) { return Dot(in.context.user_vector, in.c.embedding); }},
    {"session_similarity", &W::session_similarity,
     [](const In& in) { return Dot(in.context.session_vector, in.c.embedding); }},
    {"engagement", &W::engagement,
     [](const In& in) { return EngagementFeature(in.c.Counters()); }},
    {"purchase", &W::purchase,
     [](const In& in) {
       return in.item.kind() == v1::ITEM_KIND_PRODUCT
                  ? PurchaseSignal(in.c.Counters(), in.item)
                  : 0.5f * in.c.linked_purchase_signal;
     }},
    {"freshness", &W::freshness,
     [](const In& in) {
       const double age_hours =
           std::max<int64_t>(0, in.context.now_ms - in.item.created_at_ms()) / 3.6e6;
       return static_cast<float>(
           std::exp2(-age_hours / in.weights.freshness_half_life_hours));
     }},
    {"following", &W::following,
     [](const In& in) {
       return in.context.following.contains(in.item.creator_id()) ? 1.0f : 0.0f;
     }},
    {"creator_trust", &W::creator_trust,
     [](const In& in) { return CreatorTrust(in.c.creator); }},
    {"price_fit", &W::price_fit,
     [](const In& in) { return PriceFit(in.item, in.context.typical_price_cents); }},
    {"covisit", &W::covisit,
     [](const In& in) { return in.context.covisit.Feature(in.c.item_id); }},
    {"trend", &W::trend,
     [](const In& in) {
       return in.context.trend == nullptr ? 0.0f : in.context.trend->Share(in.c.item_id);
     }},
};

constexpr int kNumFeatures = static_cast<int>(std::size(kFeatures));

}  // namespace

const std::vector<std::string>& RankingFeatureNames() {
  static const auto* names = [] {
    auto* n = new std::vector<std::string>();
    for (const FeatureDef& f : kFeatures) n->emplace_back(f.name);
    return n;
  }();
  return *names;
}

int NumRankingFeatures() { return kNumFeatures; }

const std::string& RankingFeatureVersion() {
  static const auto* version = [] {
    const std::string joined = absl::StrJoin(RankingFeatureNames(), ",");
    return new std::string(
        absl::StrFormat("r%d-%08x", kRankingFeatureRevision,
                        static_cast<uint32_t>(XXH64(joined.data(), joined.size(), 0))));
  }();
  return *version;
}

void ComputeRankingFeatures(const FeedContext& context, const ScoringWeights& weights,
                            const Candidate& c, std::span<float> out) {
  const FeatureInput in{context, weights, c, *c.item};
  for (int i = 0; i < kNumFeatures && i < static_cast<int>(out.size()); ++i) {
    out[i] = kFeatures[i].compute(in);
  }
}

std::vector<float> RankingFeatureWeights(const ScoringWeights& weights) {
  std::vector<float> w;
  w.reserve(kNumFeatures);
  for (const FeatureDef& f : kFeatures) w.push_back(weights.*(f.weight));
  return w;
}

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

}  // namespace zhongcao::ranking
