// "following": the newest items of creators the user follows, within a
// freshness window.
#pragma once

#include "ranking/source/candidate_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class FollowingSource : public CandidateSource {
 public:
  struct Options {
    int64_t window_ms = 7LL * 24 * 3600 * 1000;  // "fresh" means this recent
    int max_creators = 200;                      // follows read per request
    int per_creator = 10;
  };
  FollowingSource(const store::FeatureStore& store, Options options)
      : store_(store), options_(options) {}
  absl::string_view name() const override { return "following"; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const store::FeatureStore& store_;
  Options options_;
};

}  // namespace zhongcao::ranking
