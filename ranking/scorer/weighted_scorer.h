// The first scorer: a weighted sum of a few documented features.
//
//   score = similarity * sim + engagement * eng + freshness * fresh
//         + following * followed
//
//   sim      inner product of the user's vector and the item's (0 when either
//            is missing); vectors are expected to be unit length
//   eng      log(1 + e) / log(1 + 10000), capped at 1, where
//            e = clicks + 2 likes + 2 comments + 3 saves + 3 shares
//              + 5 add-to-carts + 10 purchases + 0.1 product sales
//   fresh    0.5 ^ (age / half_life), age since the item's creation
//   followed 1 when the user follows the item's creator
//
// Weights come from configuration (ScoringWeights). A learned model is a
// second Scorer behind the same interface.
#pragma once

#include <vector>

#include "ranking/candidate.h"
#include "ranking/feed_context.h"

namespace zhongcao::ranking {

struct ScoringWeights {
  float similarity = 1.0f;
  float engagement = 0.3f;
  float freshness = 0.2f;
  float following = 0.3f;
  double freshness_half_life_hours = 48;
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Sets score and contributions of every candidate (all hydrated).
  virtual void Score(const FeedContext& context,
                     std::vector<Candidate>* candidates) const = 0;
};

class WeightedScorer : public Scorer {
 public:
  explicit WeightedScorer(ScoringWeights weights) : weights_(weights) {}
  void Score(const FeedContext& context,
             std::vector<Candidate>* candidates) const override;

 private:
  ScoringWeights weights_;
};

// The engagement feature alone, in [0, 1].
float EngagementFeature(const store::ItemCounters& counters, const v1::Item& item);

}  // namespace zhongcao::ranking
