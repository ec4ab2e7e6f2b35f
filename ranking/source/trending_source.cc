#include "ranking/source/trending_source.h"

#include "absl/container/flat_hash_set.h"
#include "ranking/id_hash.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> TrendingSource::Fetch(const FeedContext& context,
                                                             int budget) const {
  std::vector<Candidate> out;
  if (budget <= 0) return out;
  // Seen and served items are dropped later, so read past them.
  const int limit =
      budget + static_cast<int>(context.seen.size() + context.served.size());
  absl::flat_hash_set<std::string> taken;
  int unseen = 0;  // what the budget counts: seen and served items are dropped later
  auto take = [&](std::vector<std::pair<std::string, double>>& top) {
    for (auto& [id, score] : top) {
      if (unseen >= budget) break;
      if (!taken.insert(id).second) continue;
      if (!context.seen.contains(id) && !context.served.contains(ServedHash(id)))
        ++unseen;
      Candidate c;
      c.item_id = std::move(id);
      c.sources.emplace_back(name());
      out.push_back(std::move(c));
    }
  };
  if (!context.region.empty()) {
    absl::StatusOr<std::vector<std::pair<std::string, double>>> regional =
        store_.TopTrending(context.region, limit, context.now_ms);
    if (!regional.ok()) return regional.status();
    take(*regional);
    if (unseen >= budget) return out;
  }
  absl::StatusOr<std::vector<std::pair<std::string, double>>> global =
      store_.TopTrending("", limit, context.now_ms);
  if (!global.ok()) return global.status();
  take(*global);
  return out;
}

}  // namespace zhongcao::ranking
