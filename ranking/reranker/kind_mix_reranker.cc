#include "ranking/reranker/kind_mix_reranker.h"

#include <algorithm>
#include <cstddef>

namespace zhongcao::ranking {
namespace {

v1::ItemKind KindOf(const Candidate& c) {
  return c.item != nullptr ? c.item->kind() : v1::ITEM_KIND_UNSPECIFIED;
}

// Moves (*ranked)[from] to `to` (to < from), shifting [to, from) down by one.
void MoveForward(size_t from, size_t to, std::vector<Candidate>* ranked) {
  std::rotate(ranked->begin() + to, ranked->begin() + from, ranked->begin() + from + 1);
}

void PlaceLive(size_t page, size_t slot, std::vector<Candidate>* ranked) {
  if (slot == 0 || slot > page) return;
  for (size_t i = 0; i < slot; ++i) {
    if (KindOf((*ranked)[i]) == v1::ITEM_KIND_LIVE) return;
  }
  size_t best = ranked->size();
  for (size_t i = slot; i < ranked->size(); ++i) {
    const Candidate& c = (*ranked)[i];
    if (KindOf(c) != v1::ITEM_KIND_LIVE) continue;
    // Best score; among equals the one ranked higher (the list may no
    // longer be in score order after MMR).
    if (best == ranked->size() || c.score > (*ranked)[best].score) best = i;
  }
  if (best != ranked->size()) MoveForward(best, slot - 1, ranked);
}

void BreakProductRuns(size_t page, int max_in_a_row, std::vector<Candidate>* ranked) {
  if (max_in_a_row <= 0) return;
  int run = 0;
  for (size_t i = 0; i < page; ++i) {
    if (KindOf((*ranked)[i]) != v1::ITEM_KIND_PRODUCT) {
      run = 0;
      continue;
    }
    if (run < max_in_a_row) {
      ++run;
      continue;
    }
    size_t next = i + 1;
    while (next < ranked->size() && KindOf((*ranked)[next]) == v1::ITEM_KIND_PRODUCT)
      ++next;
    // Only products from here on: no later run can be broken either.
    if (next == ranked->size()) return;
    MoveForward(next, i, ranked);
    run = 0;
  }
}

}  // namespace

void KindMixReRanker::ReRank(const FeedContext& /*context*/,
                             const RerankSettings& settings, int count,
                             std::vector<Candidate>* ranked) const {
  if (count <= 0 || ranked->empty()) return;
  const size_t page = std::min(ranked->size(), static_cast<size_t>(count));
  if (settings.live_slot_position > 0) {
    PlaceLive(page, static_cast<size_t>(settings.live_slot_position), ranked);
  }
  BreakProductRuns(page, settings.max_products_in_a_row, ranked);
}

}  // namespace zhongcao::ranking
