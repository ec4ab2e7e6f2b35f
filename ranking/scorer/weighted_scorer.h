// The default scorer: a weighted sum of predicted engagement and purchase
// from item, creator, user and context features. Every feature is in
// [0, 1] (similarities in [-1, 1]); the weights come from configuration.
//
//   similarity          user long-term vector . item embedding
//   session_similarity  user session vector . item embedding
//   engagement          0.5 * volume + 0.5 * rate, where volume is
//                       log(1 + e) / log(1 + 10000) with e = clicks + 2 likes
//                       + 2 comments + 3 saves + 3 shares, and rate is
//                       e / (impressions + 20), both capped at 1
//   purchase            products: log(1 + 5 carts + 10 purchases + 0.1 sales)
//                       / log(1 + 10000); content: 0.5 times the best signal
//                       of its in-stock linked products
//   freshness           0.5 ^ (age / half_life)
//   following           1 when the user follows the creator
//   creator_trust       tier prior: KOC 1, KOL 0.7, brand staff 0.4, brand
//                       0.3, unknown 0.2 (niche trusted voices convert best)
//   price_fit           products with a known typical price for the user:
//                       exp(-|ln(price / typical)|)
//   covisit             co-occurrence with the user's latest items, as a share
//                       of the request's strongest (ranking/covisit_affinity.h)
//
// The features themselves are computed in ranking_features.{h,cc}, shared
// with the learned model (learned_scorer.h), another Scorer behind the same
// interface.
#pragma once

#include <vector>

#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"
#include "ranking/scorer/ranking_features.h"

namespace zhongcao::ranking {

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Sets score, scorer_score, scored_by and features of every candidate
  // (all hydrated).
  virtual void Score(const FeedContext& context, const ScoringWeights& weights,
                     std::vector<Candidate>* candidates) const = 0;
};

class WeightedScorer : public Scorer {
 public:
  void Score(const FeedContext& context, const ScoringWeights& weights,
             std::vector<Candidate>* candidates) const override;
};

}  // namespace zhongcao::ranking
