#include "ranking/source/campaign_source.h"

#include <string>

#include "absl/container/flat_hash_set.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> CampaignSource::Fetch(const FeedContext& context,
                                                             int budget) const {
  std::vector<Candidate> out;
  if (budget <= 0 || context.open_campaigns.empty()) return out;
  // Served items are known only by hash; leave room for them.
  const int wanted = budget + static_cast<int>(context.served.size());
  std::vector<std::vector<store::TimedItemId>> lists;
  absl::flat_hash_set<std::string> tags;
  for (const Campaign& campaign : context.open_campaigns) {
    // Two campaigns on one tag would only repeat the same list.
    if (campaign.tag.empty() || !tags.insert(campaign.tag).second) continue;
    // Any one campaign may have to fill the whole budget when the others
    // have few items, and seen items do not count toward it.
    absl::StatusOr<std::vector<store::TimedItemId>> items = store_.NewestItemsWithTag(
        campaign.tag, wanted + static_cast<int>(context.seen.size()));
    if (!items.ok()) return items.status();
    lists.push_back(*std::move(items));
  }
  absl::flat_hash_set<std::string> taken;
  int counted = 0;
  for (size_t rank = 0; counted < wanted; ++rank) {
    bool any = false;
    for (std::vector<store::TimedItemId>& list : lists) {
      if (rank >= list.size() || counted >= wanted) continue;
      any = true;
      std::string& id = list[rank].item_id;
      if (!taken.insert(id).second) continue;
      if (!context.seen.contains(id)) ++counted;
      Candidate c;
      c.item_id = std::move(id);
      c.sources.emplace_back(name());
      out.push_back(std::move(c));
    }
    if (!any) break;
  }
  return out;
}

}  // namespace zhongcao::ranking
