#include "ranking/reranker/campaign_boost_reranker.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace zhongcao::ranking {

void CampaignBoostReRanker::ReRank(const FeedContext& context,
                                   const RerankSettings& /*settings*/, int /*count*/,
                                   std::vector<Candidate>* ranked) const {
  // The best campaign per tag. open_campaigns should already hold only
  // campaigns open at now_ms; checking again keeps a stale context from
  // boosting a campaign that has ended.
  absl::flat_hash_map<std::string, const Campaign*> by_tag;
  for (const Campaign& campaign : context.open_campaigns) {
    if (!campaign.OpenAt(context.now_ms) || campaign.tag.empty()) continue;
    auto [it, inserted] = by_tag.try_emplace(campaign.tag, &campaign);
    if (!inserted && campaign.boost > it->second->boost) it->second = &campaign;
  }
  if (by_tag.empty()) return;

  bool changed = false;
  for (Candidate& c : *ranked) {
    if (c.item == nullptr) continue;
    const Campaign* best = nullptr;
    for (const std::string& tag : c.item->tags()) {
      auto it = by_tag.find(tag);
      if (it == by_tag.end()) continue;
      // Ties go to the campaign listed first, whatever the tag order.
      if (best == nullptr || it->second->boost > best->boost ||
          (it->second->boost == best->boost && it->second < best)) {
        best = it->second;
      }
    }
    if (best == nullptr) continue;
    c.score += best->boost;
    c.contributions.emplace_back(absl::StrCat("campaign:", best->name), best->boost);
    changed = true;
  }
  if (!changed) return;
  SortByScore(ranked);
}

}  // namespace zhongcao::ranking
