#include "ranking/source/covisit_source.h"

#include "ranking/id_hash.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> CovisitSource::Fetch(const FeedContext& context,
                                                            int budget) const {
  std::vector<Candidate> out;
  if (budget <= 0 || context.covisit.scores.empty()) return out;
  // Seen items have no score (see MakeContext); served ones are dropped
  // later, so read past them.
  const std::vector<std::pair<std::string, double>> best =
      context.covisit.Best(budget + context.served.size());
  int unserved = 0;
  for (const auto& [id, score] : best) {
    if (unserved >= budget) break;
    if (!context.served.contains(ServedHash(id))) ++unserved;
    Candidate c;
    c.item_id = id;
    c.sources.emplace_back(name());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
