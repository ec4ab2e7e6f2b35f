#include "ranking/source/fresh_source.h"

#include <algorithm>
#include <span>
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
  // Served items are known only by hash; leave room for them.
  const int wanted = budget + static_cast<int>(context.served.size());
  // Most new items pass the exposure check, so counters are read in chunks
  // a little larger than what is still wanted, not for the whole scan. Only
  // the counters are used here: the candidates kept are hydrated later with
  // everything else, and an id deleted since the scan drops out there.
  int counted = 0;
  for (size_t begin = 0; begin < ids.size() && counted < wanted;) {
    const size_t chunk =
        std::min<size_t>(ids.size() - begin, std::max(2 * (wanted - counted), 32));
    absl::StatusOr<std::vector<store::ItemRecord>> records =
        store_.ReadItems(std::span<const std::string>(ids).subspan(begin, chunk));
    if (!records.ok()) return records.status();
    for (size_t i = 0; i < chunk && counted < wanted; ++i) {
      if ((*records)[i].counters->impressions() >= options_.max_impressions) continue;
      std::string& id = ids[begin + i];
      if (!context.seen.contains(id)) ++counted;
      Candidate c;
      c.item_id = std::move(id);
      c.sources.emplace_back(name());
      out.push_back(std::move(c));
    }
    begin += chunk;
  }
  return out;
}

}  // namespace zhongcao::ranking
