#include "ranking/reranker/creator_cap_reranker.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "ranking/id_hash.h"

namespace zhongcao::ranking {
namespace {

// Positions, best first, of the candidates whose creator stays under both
// caps.
std::vector<size_t> UnderCaps(const FeedContext& context, const RerankSettings& settings,
                              const std::vector<Candidate>& ranked) {
  // Keyed by CreatorHash, as the session counts from the page token are.
  absl::flat_hash_map<uint32_t, int> kept_by_creator;
  std::vector<size_t> keep;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const Candidate& c = ranked[i];
    if (c.item != nullptr && !c.item->creator_id().empty()) {
      const uint32_t creator = CreatorHash(c.item->creator_id());
      int& kept = kept_by_creator[creator];
      auto session = context.session_creator_counts.find(creator);
      const int earlier =
          session == context.session_creator_counts.end() ? 0 : session->second;
      if (kept >= settings.creator_cap_per_page ||
          earlier + kept >= settings.creator_cap_per_session) {
        continue;
      }
      ++kept;
    }
    keep.push_back(i);
  }
  return keep;
}

}  // namespace

void CreatorCapReRanker::ReRank(const FeedContext& context,
                                const RerankSettings& settings, int /*count*/,
                                std::vector<Candidate>* ranked) const {
  const std::vector<size_t> keep = UnderCaps(context, settings, *ranked);
  std::vector<Candidate> kept;
  kept.reserve(keep.size());
  for (size_t i : keep) kept.push_back(std::move((*ranked)[i]));
  *ranked = std::move(kept);
}

}  // namespace zhongcao::ranking
