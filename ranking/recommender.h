// The read side of zhongcao: feeds, product rankings and related items,
// answered from the feature store and the vector index. Requests are
// expected to be validated by the caller (service/); page tokens are checked
// here because their format is ranking's own.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "index/vector_index.h"
#include "ranking/feed_pipeline.h"
#include "ranking/scorer/weighted_scorer.h"
#include "ranking/source/following_source.h"
#include "store/feature_store.h"
#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::ranking {

struct RecommenderOptions {
  ScoringWeights weights;
  int ann_budget = 300;
  int following_budget = 100;
  int recent_budget = 50;              // exploration for known users
  int cold_start_recent_budget = 500;  // the whole feed of a cold-start user
  FollowingSource::Options following;
};

class Recommender {
 public:
  Recommender(const store::FeatureStore& store, const index::VectorIndex& index,
              RecommenderOptions options);

  // An unknown user gets a cold-start feed. Pages never repeat an item.
  absl::StatusOr<v1::GetFeedResponse> GetFeed(const v1::GetFeedRequest& request) const;
  // NOT_FOUND for an unknown item; FAILED_PRECONDITION for one without an
  // embedding.
  absl::StatusOr<v1::GetRelatedResponse> GetRelated(
      const v1::GetRelatedRequest& request) const;
  // Ranks the given products; the ones that cannot be shown are listed in
  // `excluded` with the reason.
  absl::StatusOr<v1::RankProductsResponse> RankProducts(
      const v1::RankProductsRequest& request) const;

 private:
  absl::StatusOr<FeedContext> MakeContext(const std::string& user_id,
                                          const v1::Context& context) const;

  const store::FeatureStore& store_;
  const index::VectorIndex& index_;
  RecommenderOptions options_;
  FeatureHydrator hydrator_;
  WeightedScorer scorer_;
  std::unique_ptr<FeedPipeline> feed_;
};

}  // namespace zhongcao::ranking
