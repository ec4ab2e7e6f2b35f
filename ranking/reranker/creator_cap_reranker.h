// Keeps one creator from taking over a page or a session: at most
// creator_cap_per_page items per page and creator_cap_per_session per session.
#pragma once

#include "ranking/reranker/reranker.h"

namespace zhongcao::ranking {

// Walks the list best first and keeps a candidate only while its creator
// stays under both caps, counting the candidates kept before it and, for
// the session cap, context.session_creator_counts (by CreatorHash). Items
// without a creator_id are never capped.
//
// A candidate over a cap is dropped, not moved down: the pipeline serves the
// first `count` entries, so one left in the list could still reach the page
// when too few others qualify (a short page is the price of a hard cap) or
// when a later re-ranker (kind_mix) pulls it forward. The caps also hold for
// the list past the page, so any `count` of the kept candidates respect
// them. A dropped candidate was not served and may come back on a later page.
// When the caps leave nothing for a page, the feed session ends there (no
// next_page_token); a new session starts with fresh caps.
class CreatorCapReRanker : public ReRanker {
 public:
  absl::string_view name() const override { return "creator_cap"; }
  void ReRank(const FeedContext& context, const RerankSettings& settings, int count,
              std::vector<Candidate>* ranked) const override;
};

}  // namespace zhongcao::ranking
