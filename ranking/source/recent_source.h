// "recent": the newest items in the catalog. It is the cold-start source
// (with the engagement and freshness terms of the scorer it yields "recent
// and popular") and a little exploration for everyone else.
#pragma once

#include "ranking/source/candidate_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class RecentSource : public CandidateSource {
 public:
  explicit RecentSource(const store::FeatureStore& store) : store_(store) {}
  absl::string_view name() const override { return "recent"; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const store::FeatureStore& store_;
};

}  // namespace zhongcao::ranking
