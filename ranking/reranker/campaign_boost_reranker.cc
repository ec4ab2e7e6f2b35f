#include "ranking/reranker/campaign_boost_reranker.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace zhongcao::ranking {

void CampaignBoostReRanker::ReRank(const FeedContext& context,
                                   const RerankSettings& /*settings*/, int /*count*/,
                                   std::vector<Candidate>* ranked) const {
  // The best campaign per tag. open_campaigns should already hold only
  // campaigns open at now_ms; checking again keeps a stale context from
  // boosting a campaign that has ended.
  // Open campaigns are a handful, so each candidate's tags are compared
  // with a short list rather than hashed: ~570 candidates of several tags
  // each made hashing most of this stage.
  std::vector<std::pair<absl::string_view, const Campaign*>> by_tag;
  for (const Campaign& campaign : context.open_campaigns) {
    if (!campaign.OpenAt(context.now_ms) || campaign.tag.empty()) continue;
    auto it = std::find_if(by_tag.begin(), by_tag.end(), [&](const auto& entry) {
      return entry.first == campaign.tag;
    });
    if (it == by_tag.end()) {
      by_tag.emplace_back(campaign.tag, &campaign);
    } else if (campaign.boost > it->second->boost) {
      it->second = &campaign;
    }
  }
  if (by_tag.empty()) return;

  bool changed = false;
  for (Candidate& c : *ranked) {
    if (c.item == nullptr) continue;
    const Campaign* best = nullptr;
    for (const std::string& tag : c.item->tags()) {
      for (const auto& [campaign_tag, campaign] : by_tag) {
        if (campaign_tag != tag) continue;
        // Ties go to the campaign listed first, whatever the tag order.
        if (best == nullptr || campaign->boost > best->boost ||
            (campaign->boost == best->boost && campaign < best)) {
          best = campaign;
        }
      }
    }
    if (best == nullptr) continue;
    c.score += best->boost;
    c.added_contributions.emplace_back(absl::StrCat("campaign:", best->name),
                                       best->boost);
    changed = true;
  }
  if (!changed) return;
  SortByScore(ranked);
}

}  // namespace zhongcao::ranking
