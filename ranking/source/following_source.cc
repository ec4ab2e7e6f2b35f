#include "ranking/source/following_source.h"

#include <algorithm>
#include <vector>

#include "absl/strings/string_view.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> FollowingSource::Fetch(const FeedContext& context,
                                                              int budget) const {
  if (!context.user.user.has_value() || budget <= 0) return std::vector<Candidate>();
  const auto& follows = context.user.user->following_creator_ids();
  const std::vector<absl::string_view> creators(
      follows.begin(),
      follows.begin() + std::min<int>(follows.size(), options_.max_creators));
  absl::StatusOr<std::vector<std::vector<store::TimedItemId>>> lists =
      store_.NewestItemsOfCreators(creators, context.now_ms - options_.window_ms,
                                   options_.per_creator);
  if (!lists.ok()) return lists.status();
  std::vector<store::TimedItemId> found;
  for (std::vector<store::TimedItemId>& items : *lists) {
    for (store::TimedItemId& id : items) found.push_back(std::move(id));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms
                                              : a.item_id < b.item_id;
  });
  std::vector<Candidate> out;
  for (store::TimedItemId& id : found) {
    if (static_cast<int>(out.size()) >= budget) break;
    Candidate c;
    c.item_id = std::move(id.item_id);
    c.sources.emplace_back(name());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
