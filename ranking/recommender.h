// The read side of zhongcao: feeds, product rankings, related items and
// lookalike audiences, answered from the feature store and the vector
// indexes. Requests are expected to be validated by the caller (service/);
// page tokens and experiment arms are checked here because they are
// ranking's own.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "index/serving_index.h"
#include "index/vector_index.h"
#include "ranking/campaign.h"
#include "ranking/experiment/experiments.h"
#include "ranking/experiment/interleaving.h"
#include "ranking/feed_pipeline.h"
#include "ranking/feed_settings.h"
#include "ranking/scorer/learned_scorer.h"
#include "ranking/scorer/ranker_model.h"
#include "ranking/source/following_source.h"
#include "store/feature_store.h"
#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::ranking {

struct RecommenderOptions {
  FeedSettings settings;  // defaults; surfaces, then experiment arms, override them
  // A surface's feed as a configuration: settings it changes by name, e.g.
  // the following tab turns every source but "following" off.
  std::map<int, std::vector<std::pair<std::string, double>>> surface_settings;
  std::vector<Campaign> campaigns;
  Experiments experiments;
  FollowingSource::Options following;
  int source_threads = 4;
  // Sources added after the built-in ones: a new source is a class and a
  // line here.
  std::function<std::vector<SourceStage>()> extra_sources;
  // Called with every GetFeed and RankProducts response as served (the
  // exposure log's record); must return quickly, e.g. by queueing. None:
  // nothing is logged.
  std::function<void(store::ExposureRow)> exposure_sink;
  // The learned ranking model the server loads at start; empty: none, the
  // weighted sum scores until one is loaded (Recommender::LoadRankerModel).
  std::string ranker_model;
};

class Recommender {
 public:
  // `users` indexes user long-term vectors, for lookalikes.
  // `items` is read once per request; a swap takes effect at the next one.
  Recommender(const store::FeatureStore& store, const index::ServingIndex& items,
              const index::VectorIndex& users, RecommenderOptions options);

  // An unknown user gets a cold-start feed. Pages never repeat an item.
  // `deadline` is the caller's (e.g. the gRPC deadline); sources are cut
  // short to leave time for the rest of the request. Fills `response`,
  // which may live on the call's arena; after an error it is not to be sent.
  absl::Status GetFeed(const v1::GetFeedRequest& request,
                       std::chrono::steady_clock::time_point deadline,
                       v1::GetFeedResponse* response) const;
  // NOT_FOUND for an unknown item; FAILED_PRECONDITION for one without an
  // embedding.
  absl::StatusOr<v1::GetRelatedResponse> GetRelated(
      const v1::GetRelatedRequest& request) const;
  // Ranks the given products, or finds them (see the proto); the ones that
  // cannot be shown are listed in `excluded` with the reason.
  absl::StatusOr<v1::RankProductsResponse> RankProducts(
      const v1::RankProductsRequest& request) const;
  absl::StatusOr<v1::FindLookalikesResponse> FindLookalikes(
      const v1::FindLookalikesRequest& request) const;

  // Loads and checks the learned ranking model at `path` (see
  // RankerModel::Load) and scores with it from the next request on; requests
  // in flight finish with the model they started with. On error the served
  // model (or none) is untouched. Thread-safe.
  absl::StatusOr<RankerModelInfo> LoadRankerModel(const std::string& path) const;
  // The model feeds are scored with; null when none is loaded.
  std::shared_ptr<const RankerModel> ranker_model() const { return ranker_->Current(); }

  // Feed responses each source was left out of since start.
  absl::flat_hash_map<std::string, int64_t> DegradedSourceCounts() const {
    return feed_->DegradedCounts();
  }

 private:
  // The defaults with the surface's and then the user's arms' overrides.
  absl::StatusOr<FeedSettings> SettingsFor(
      const std::string& user_id, v1::Surface surface,
      const google::protobuf::Map<std::string, std::string>& force_arms,
      std::vector<ArmChoice>* arms) const;
  absl::StatusOr<std::shared_ptr<FeedContext>> MakeContext(
      const std::string& user_id, const v1::Context& context,
      const FeedSettings& settings) const;
  // The page of an interleaved experiment: each arm's ranking, team-drafted.
  absl::StatusOr<InterleavedPage> InterleavedFeed(
      const Experiment& experiment, const v1::GetFeedRequest& request,
      const FeedSettings& base, const std::shared_ptr<FeedContext>& context_a,
      const std::function<void(FeedContext&)>& prepare, int page,
      std::chrono::steady_clock::time_point deadline,
      google::protobuf::RepeatedPtrField<v1::StageTrace>* trace, FeedRunReport* report,
      std::shared_ptr<FeedContext>* context_b) const;
  absl::StatusOr<std::vector<Candidate>> FindProducts(
      const v1::RankProductsRequest& request, const FeedContext& context) const;

  const store::FeatureStore& store_;
  const index::ServingIndex& items_;
  const index::VectorIndex& users_;
  RecommenderOptions options_;
  FeatureHydrator hydrator_;
  // Before the scorers: they read it. Swapped through a const Recommender,
  // like the item index through ServingIndex.
  std::unique_ptr<RankerModelSlot> ranker_ = std::make_unique<RankerModelSlot>();
  ModelOrWeightedScorer scorer_{*ranker_};
  std::unique_ptr<FeedPipeline> feed_;
};

}  // namespace zhongcao::ranking
