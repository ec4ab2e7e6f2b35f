// Lifts items tagged for an open campaign (11.11, 618, Double 12) by the
// campaign's boost, so that campaign items compete on score with the rest.
#pragma once

#include "ranking/reranker/reranker.h"

namespace zhongcao::ranking {

// Adds to each candidate carrying the tag of a campaign open at
// context.now_ms that campaign's boost (the largest, when several match) and
// records it as the contribution "campaign:<name>"; then re-sorts by score,
// best first, ties by item id. Without open campaigns the list is untouched.
// Runs first, so that the later re-rankers see the boosted order.
class CampaignBoostReRanker : public ReRanker {
 public:
  absl::string_view name() const override { return "campaign_boost"; }
  void ReRank(const FeedContext& context, const RerankSettings& settings, int count,
              std::vector<Candidate>* ranked) const override;
};

}  // namespace zhongcao::ranking
