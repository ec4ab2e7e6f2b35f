// Diversity by Maximal Marginal Relevance: fills the page with items that
// score well but look unlike the items already picked for it.
#pragma once

#include "ranking/reranker/reranker.h"

namespace zhongcao::ranking {

// Over the best min(settings.mmr_window, size) candidates, picks `count`
// items one at a time, each maximising
//   mmr_lambda * norm_score - (1 - mmr_lambda) * max similarity to the picked,
// where norm_score is the score min-max scaled to [0, 1] over the window and
// similarity is the inner product of the unit-scaled embeddings (0 when
// either has none). The picks come first in pick order, then every other
// candidate in its previous order. mmr_lambda >= 1 changes nothing; ties go
// to the better-ranked candidate. O(count * window * dim).
class MmrReRanker : public ReRanker {
 public:
  absl::string_view name() const override { return "mmr"; }
  void ReRank(const FeedContext& context, const RerankSettings& settings, int count,
              std::vector<Candidate>* ranked) const override;
};

}  // namespace zhongcao::ranking
