// Team-draft interleaving (Radlinski, Kurup and Joachims, CIKM 2008): two
// arms' rankings merged into one page, every item attributed to the arm
// (team) that drafted it, so a click is a vote for that arm.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"

namespace zhongcao::ranking {

struct DraftPick {
  int team = 0;      // 0: the first list (arm A), 1: the second (arm B)
  size_t index = 0;  // position in that team's list
};

// Merges best-first lists of item ids into at most `count` picks, in page
// order. Each round a coin drawn from `seed` decides which team drafts
// first; each team then takes its best item not yet taken that `allowed`
// accepts given the picks so far (null: all). An item in both lists goes
// to the team that takes it first. A team with nothing left to take lets
// the other go on alone. The same inputs and seed give the same picks.
std::vector<DraftPick> TeamDraft(
    std::span<const std::string> a, std::span<const std::string> b, size_t count,
    uint64_t seed,
    const std::function<bool(const std::vector<DraftPick>& so_far,
                             const DraftPick& next)>& allowed = nullptr);

// The coin seed of one page: reproducible for a replay of the same user and
// page, different across users, pages and experiments.
uint64_t InterleavingSeed(absl::string_view experiment_salt, absl::string_view user_id,
                          int page);

struct InterleavedPage {
  std::vector<Candidate> items;  // the page, in order
  std::vector<int> teams;        // the team of each item
  bool more = false;             // either list has items left that were not taken
};

// Team-drafts ranked candidates `a` and `b` into a page of at most `count`
// that keeps the creator caps (per page and, with the context's session
// counts, per session) and products in a row of both arms' settings: the
// stricter of each.
InterleavedPage InterleaveCandidates(const FeedContext& context,
                                     const RerankSettings& a_caps,
                                     const RerankSettings& b_caps,
                                     std::vector<Candidate> a, std::vector<Candidate> b,
                                     int count, uint64_t seed);

}  // namespace zhongcao::ranking
