// The features a scorer sees for one candidate, computed in one place so the
// weighted sum, the learned model and its training examples can never
// disagree on what a feature means or where it sits in the vector.
//
// The list is fixed and ordered. A model records the names it was trained
// on and RankingFeatureVersion(); a model with another list is refused at
// load. Adding a feature is one line in ranking_features.cc (its name, its
// weight in ScoringWeights and how to compute it); every model trained
// before must then be retrained. Bump kRankingFeatureRevision when a
// feature's computation changes but its name does not.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"

namespace zhongcao::ranking {

inline constexpr int kRankingFeatureRevision = 1;

// The feature names, in vector order.
const std::vector<std::string>& RankingFeatureNames();
int NumRankingFeatures();
// "r<revision>-<hash of the names>", e.g. "r1-3f2a9c01": equal exactly when
// two builds compute the same vector.
const std::string& RankingFeatureVersion();

// Fills `out` (NumRankingFeatures() values, in name order) for hydrated
// candidate `c`. `weights` is read only for parameters of a feature (the
// freshness half-life), never for the weights themselves.
void ComputeRankingFeatures(const FeedContext& context, const ScoringWeights& weights,
                            const Candidate& c, std::span<float> out);

// Each feature's weight in the weighted sum, in name order.
std::vector<float> RankingFeatureWeights(const ScoringWeights& weights);

// The engagement feature alone, in [0, 1].
float EngagementFeature(const store::ItemCounters& counters);
// The purchase signal of one product, in [0, 1].
float PurchaseSignal(const store::ItemCounters& counters, const v1::Item& product);

}  // namespace zhongcao::ranking
