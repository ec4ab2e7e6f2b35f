#include "ranking/source/fresh_source.h"

#include <string>

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> FreshSource::Fetch(const FeedContext& context,
                                                          int budget) const {
  std::vector<Candidate> out;
  if (budget <= 0) return out;
  absl::StatusOr<std::vector<store::TimedItemId>> newest =
      store_.NewestItems(options_.max_scan, context.now_ms - options_.window_ms);
  if (!newest.ok()) return newest.status();
  std::vector<std::string> ids;
  ids.reserve(newest->size());
  for (store::TimedItemId& id : *newest) ids.push_back(std::move(id.item_id));
  // Only counters are read here: the few candidates kept are hydrated
  // later with everything else, and an id deleted since the scan drops out
  // there.
  absl::StatusOr<std::vector<store::ItemCounters>> counters = store_.ReadCounters(ids);
  if (!counters.ok()) return counters.status();
  // Served items are known only by hash; leave room for them.
  const int wanted = budget + static_cast<int>(context.served.size());
  int counted = 0;
  for (size_t i = 0; i < ids.size() && counted < wanted; ++i) {
    if ((*counters)[i].impressions() >= options_.max_impressions) continue;
    if (!context.seen.contains(ids[i])) ++counted;
    Candidate c;
    c.item_id = std::move(ids[i]);
    c.sources.emplace_back(name());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
