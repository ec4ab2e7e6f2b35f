#include "ranking/source/trending_source.h"

#include <algorithm>

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
  // The store's shared boards, read in place: only the ids taken are copied.
  std::shared_ptr<const store::TrendSnapshot> boards[2];
  absl::flat_hash_set<absl::string_view> taken;  // views into `boards`
  int unseen = 0;  // what the budget counts: seen and served items are dropped later
  auto take = [&](const store::TrendSnapshot& board) {
    const size_t n = std::min(board.top.size(), static_cast<size_t>(limit));
    for (size_t i = 0; i < n && unseen < budget; ++i) {
      const std::string& id = board.top[i].first;
      if (!taken.insert(id).second) continue;
      if (!context.seen.contains(id) && !context.served.contains(ServedHash(id)))
        ++unseen;
      Candidate c;
      c.item_id = id;
      c.sources.emplace_back(name());
      out.push_back(std::move(c));
    }
  };
  if (!context.region.empty()) {
    boards[0] = store_.TrendBoard(context.region);
    if (boards[0] != nullptr) take(*boards[0]);
    if (unseen >= budget) return out;
  }
  boards[1] = store_.TrendBoard("");
  if (boards[1] != nullptr) take(*boards[1]);
  return out;
}

}  // namespace zhongcao::ranking
