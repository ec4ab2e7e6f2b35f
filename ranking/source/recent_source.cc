#include "ranking/source/recent_source.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> RecentSource::Fetch(const FeedContext& context,
                                                           int budget) const {
  std::vector<Candidate> out;
  if (budget <= 0) return out;
  // Seen and served items are dropped later, so read past them.
  const int limit =
      budget + static_cast<int>(context.seen.size() + context.served.size());
  absl::StatusOr<std::vector<store::TimedItemId>> newest = store_.NewestItems(limit);
  if (!newest.ok()) return newest.status();
  out.reserve(newest->size());
  for (store::TimedItemId& id : *newest) {
    Candidate c;
    c.item_id = std::move(id.item_id);
    c.sources.emplace_back(name());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
