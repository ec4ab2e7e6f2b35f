#include "ranking/source/following_source.h"

#include <algorithm>

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> FollowingSource::Fetch(const FeedContext& context,
                                                              int budget) const {
  std::vector<store::TimedItemId> found;
  if (!context.user.user.has_value() || budget <= 0) return std::vector<Candidate>();
  const auto& follows = context.user.user->following_creator_ids();
  const int creators = std::min<int>(follows.size(), options_.max_creators);
  for (int i = 0; i < creators; ++i) {
    absl::StatusOr<std::vector<store::TimedItemId>> items = store_.NewestItemsOfCreator(
        follows[i], context.now_ms - options_.window_ms, options_.per_creator);
    if (!items.ok()) return items.status();
    found.insert(found.end(), items->begin(), items->end());
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
