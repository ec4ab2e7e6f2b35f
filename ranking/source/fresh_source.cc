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
  absl::StatusOr<std::vector<store::ItemRecord>> records = store_.ReadItems(ids);
  if (!records.ok()) return records.status();
  // Served items are known only by hash; leave room for them.
  const int wanted = budget + static_cast<int>(context.served.size());
  int counted = 0;
  for (size_t i = 0; i < ids.size() && counted < wanted; ++i) {
    const store::ItemRecord& record = (*records)[i];
    if (!record.item.has_value()) continue;  // deleted since the scan
    if (record.counters.impressions() >= options_.max_impressions) continue;
    if (!context.seen.contains(ids[i])) ++counted;
    Candidate c;
    c.item_id = std::move(ids[i]);
    c.sources.emplace_back(name());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
