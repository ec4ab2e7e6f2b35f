// A feed candidate as it moves through the pipeline: found by sources,
// hydrated with features, scored, and explained.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

// What set a candidate's score: none (nothing scored it, or its parts are
// all in added_contributions), the weighted sum of its features, or a
// learned model.
enum class ScoredBy : uint8_t { kNone, kWeightedSum, kModel };

struct Candidate {
  std::string item_id;
  // Names of the sources that found it. Inline, as are `features`: a feed
  // makes ~850 candidates, and each heap block is a likely cache miss to
  // allocate on a server whose working set is its whole catalog.
  absl::InlinedVector<std::string, 2> sources;
  // Inner product with the query vector, when a vector source found it.
  std::optional<float> retrieval_similarity;

  // Filled by the hydrator; `item` stays empty for an id no longer stored.
  std::shared_ptr<const v1::Item> item;
  // The item's vector in the request's index version (the store's items
  // come without theirs); empty when the index holds none. It points into
  // a block the request's FeedContext keeps (vector_blocks): one block per
  // hydration, not one allocation per candidate.
  std::span<const float> embedding;
  // Shares the store's cached row; null until hydrated (see Counters).
  std::shared_ptr<const store::ItemCounters> counters;
  const v1::Creator* creator = nullptr;
  // For content: linked products in stock, and the strongest purchase
  // signal among them. A card is shoppable when linked_in_stock > 0.
  int linked_in_stock = 0;
  float linked_purchase_signal = 0;

  // Filled by the scorer: the score, and how it was reached. Its parts are
  // named only for the items served (ScoreContributions): a feed scores
  // ~570 candidates to serve 20, and naming the parts of each took an
  // allocation per candidate.
  float score = 0;
  ScoredBy scored_by = ScoredBy::kNone;
  float scorer_score = 0;  // the score as the scorer left it
  // Parts added after or instead of a scorer, by name: a re-ranker's boost
  // ("campaign:double11"), GetRelated's signals.
  std::vector<std::pair<std::string, float>> added_contributions;
  // Filled by the scorer: every raw feature value (before weights), zeros
  // included, in RankingFeatureNames() order, for the exposure log and a
  // learned ranker. Named only when logged: most candidates are not served.
  absl::InlinedVector<float, 12> features;

  // The counters, all zero before hydration.
  const store::ItemCounters& Counters() const {
    return counters != nullptr ? *counters : store::ItemCounters::default_instance();
  }
};

// Best score first, ties by item id: the order ranked lists are kept in.
inline bool BetterScore(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.item_id < b.item_id;
}

// Sorts by BetterScore. A candidate is a few hundred bytes, so positions
// are sorted by their scores and each candidate is then moved once, rather
// than moved at every swap of a sort over ~850 of them.
inline void SortByScore(std::vector<Candidate>* candidates) {
  std::vector<Candidate>& list = *candidates;
  std::vector<float> score(list.size());
  std::vector<uint32_t> order(list.size());
  for (uint32_t i = 0; i < list.size(); ++i) {
    score[i] = list[i].score;
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return score[a] != score[b] ? score[a] > score[b] : list[a].item_id < list[b].item_id;
  });
  std::vector<Candidate> sorted;
  sorted.reserve(list.size());
  for (uint32_t i : order) sorted.push_back(std::move(list[i]));
  list = std::move(sorted);
}

// The candidate's item made its own to change: hydrated items are shared
// with the store's row cache, so this copies first (or creates an empty one).
inline v1::Item* MutableItem(Candidate* c) {
  auto own =
      c->item ? std::make_shared<v1::Item>(*c->item) : std::make_shared<v1::Item>();
  c->item = own;
  return own.get();
}

// The same for the counters, also shared with the row cache.
inline store::ItemCounters* MutableCounters(Candidate* c) {
  auto own = std::make_shared<store::ItemCounters>(c->Counters());
  c->counters = own;
  return own.get();
}

}  // namespace zhongcao::ranking
