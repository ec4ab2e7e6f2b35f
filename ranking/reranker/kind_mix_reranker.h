// Mixes kinds on a page: no long runs of product cards, and a livestream
// near the top when one is eligible.
#pragma once

#include "ranking/reranker/reranker.h"

namespace zhongcao::ranking {

// Two rules on the first `count` entries, in this order:
//  1. Live slot: when settings.live_slot_position = p > 0, the page has at
//     least p entries, some ITEM_KIND_LIVE candidate is in the list and none
//     is among the first p, the best-scored live candidate moves to position
//     p - 1 (the others shift down). A page shorter than p has no slot.
//  2. Product runs: where more than settings.max_products_in_a_row
//     ITEM_KIND_PRODUCT entries would follow each other, the next
//     non-product from anywhere later in the list moves forward to break the
//     run; with no non-product left, the run stays.
// Rule 2 never pushes the live item out of its slot: it moves forward the
// first non-product after the run, so the entries it shifts down are all
// products; a live item behind the run is either that non-product (and moves
// up) or lies beyond it (and stays put).
class KindMixReRanker : public ReRanker {
 public:
  absl::string_view name() const override { return "kind_mix"; }
  void ReRank(const FeedContext& context, const RerankSettings& settings, int count,
              std::vector<Candidate>* ranked) const override;
};

}  // namespace zhongcao::ranking
