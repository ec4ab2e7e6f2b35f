// "campaign": the newest items carrying the tag of a campaign open at the
// request's time (11.11, 618, Double 12), shared fairly between campaigns.
#pragma once

#include "ranking/source/candidate_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class CampaignSource : public CandidateSource {
 public:
  explicit CampaignSource(const store::FeatureStore& store) : store_(store) {}
  absl::string_view name() const override { return "campaign"; }
  // Round-robin over context.open_campaigns, newest first within each; an
  // item tagged for two campaigns comes once. Items the user has seen do
  // not count toward `budget`, nor does the page's served count.
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const store::FeatureStore& store_;
};

}  // namespace zhongcao::ranking
