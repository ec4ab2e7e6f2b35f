#include "ranking/experiment/interleaving.h"

#include <algorithm>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ranking/id_hash.h"
#include "xxhash.h"

namespace zhongcao::ranking {

std::vector<DraftPick> TeamDraft(
    std::span<const std::string> a, std::span<const std::string> b, size_t count,
    uint64_t seed,
    const std::function<bool(const std::vector<DraftPick>& so_far,
                             const DraftPick& next)>& allowed) {
  const std::span<const std::string> lists[2] = {a, b};
  // mt19937_64's output is fixed by the standard, so a seed replays the
  // same coins on every platform.
  std::mt19937_64 coins(seed);
  absl::flat_hash_set<absl::string_view> taken;
  std::vector<DraftPick> picks;
  // Per team: items before this index are all taken (or were refused and
  // will be looked at again).
  size_t first_open[2] = {0, 0};
  bool exhausted[2] = {false, false};
  auto draft = [&](int team) {
    const std::span<const std::string> list = lists[team];
    while (first_open[team] < list.size() && taken.contains(list[first_open[team]])) {
      ++first_open[team];
    }
    for (size_t i = first_open[team]; i < list.size(); ++i) {
      if (taken.contains(list[i])) continue;
      const DraftPick pick{team, i};
      if (allowed && !allowed(picks, pick)) continue;
      taken.insert(list[i]);
      picks.push_back(pick);
      return;
    }
    exhausted[team] = true;
  };
  while (picks.size() < count && !(exhausted[0] && exhausted[1])) {
    const int first = static_cast<int>(coins() & 1);
    for (int team : {first, 1 - first}) {
      if (picks.size() >= count) break;
      // Refusals depend on the picks so far, so a team that found nothing
      // may find something after the other's pick; it only gives up for
      // good when neither can pick.
      exhausted[team] = false;
      draft(team);
    }
  }
  return picks;
}

uint64_t InterleavingSeed(absl::string_view experiment_salt, absl::string_view user_id,
                          int page) {
  const std::string key = absl::StrCat(experiment_salt, ":", user_id, ":", page);
  return XXH64(key.data(), key.size(), 0x7ea3d4a7);
}

InterleavedPage InterleaveCandidates(const FeedContext& context,
                                     const RerankSettings& a_caps,
                                     const RerankSettings& b_caps,
                                     std::vector<Candidate> a, std::vector<Candidate> b,
                                     int count, uint64_t seed) {
  const int per_page = std::min(a_caps.creator_cap_per_page, b_caps.creator_cap_per_page);
  const int per_session =
      std::min(a_caps.creator_cap_per_session, b_caps.creator_cap_per_session);
  const int products_in_a_row =
      std::min(a_caps.max_products_in_a_row, b_caps.max_products_in_a_row);
  std::vector<Candidate>* lists[2] = {&a, &b};
  std::vector<std::string> ids[2];
  for (int team : {0, 1}) {
    for (const Candidate& c : *lists[team]) ids[team].push_back(c.item_id);
  }
  // Items of other kinds not yet on the page: a run of products is broken
  // only while one is left to break it, as the split feed's kind-mix
  // re-ranker does (a catalog of products alone still fills its page).
  absl::flat_hash_set<std::string> other_kinds_left;
  for (int team : {0, 1}) {
    for (const Candidate& c : *lists[team]) {
      if (c.item == nullptr || c.item->kind() != v1::ITEM_KIND_PRODUCT) {
        other_kinds_left.insert(c.item_id);
      }
    }
  }
  // What the page holds so far, kept in step with the picks.
  absl::flat_hash_map<uint32_t, int> on_page;
  int trailing_products = 0;
  size_t seen_picks = 0;
  auto allowed = [&](const std::vector<DraftPick>& so_far, const DraftPick& next) {
    for (; seen_picks < so_far.size(); ++seen_picks) {
      const Candidate& c = (*lists[so_far[seen_picks].team])[so_far[seen_picks].index];
      if (c.item != nullptr && !c.item->creator_id().empty()) {
        ++on_page[CreatorHash(c.item->creator_id())];
      }
      const bool product = c.item != nullptr && c.item->kind() == v1::ITEM_KIND_PRODUCT;
      trailing_products = product ? trailing_products + 1 : 0;
      other_kinds_left.erase(c.item_id);
    }
    const Candidate& c = (*lists[next.team])[next.index];
    if (c.item == nullptr) return true;
    if (c.item->kind() == v1::ITEM_KIND_PRODUCT && products_in_a_row > 0 &&
        trailing_products >= products_in_a_row && !other_kinds_left.empty()) {
      return false;
    }
    if (c.item->creator_id().empty()) return true;
    const uint32_t creator = CreatorHash(c.item->creator_id());
    auto page_it = on_page.find(creator);
    const int here = page_it == on_page.end() ? 0 : page_it->second;
    auto session_it = context.session_creator_counts.find(creator);
    const int earlier =
        session_it == context.session_creator_counts.end() ? 0 : session_it->second;
    return here < per_page && earlier + here < per_session;
  };
  const std::vector<DraftPick> picks =
      TeamDraft(ids[0], ids[1], static_cast<size_t>(std::max(0, count)), seed, allowed);
  InterleavedPage page;
  absl::flat_hash_set<std::string> taken;
  for (const DraftPick& pick : picks) {
    Candidate& c = (*lists[pick.team])[pick.index];
    taken.insert(c.item_id);
    page.items.push_back(std::move(c));
    page.teams.push_back(pick.team);
  }
  for (int team : {0, 1}) {
    for (const std::string& id : ids[team]) page.more |= !taken.contains(id);
  }
  return page;
}

}  // namespace zhongcao::ranking
