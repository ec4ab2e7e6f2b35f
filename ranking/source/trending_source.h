// "trending": the items with the most time-decayed engagement in the
// request's region, topped up from the trend of all regions when the region
// has too few (a small market, or a region never seen before).
#pragma once

#include "ranking/source/candidate_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class TrendingSource : public CandidateSource {
 public:
  explicit TrendingSource(const store::FeatureStore& store) : store_(store) {}
  absl::string_view name() const override { return "trending"; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const store::FeatureStore& store_;
};

}  // namespace zhongcao::ranking
