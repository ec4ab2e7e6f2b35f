// A re-ranker: reorders the scored candidates of one page for diversity,
// caps and mix. Runs after scoring, in the configured order.
#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"

namespace zhongcao::ranking {

class ReRanker {
 public:
  virtual ~ReRanker() = default;
  // Stable name used in traces and metrics, e.g. "mmr".
  virtual absl::string_view name() const = 0;
  // `ranked` is best first. Reorders it so that its first `count` entries
  // are the page; may also move candidates past the page or drop them.
  // Never adds candidates.
  virtual void ReRank(const FeedContext& context, const RerankSettings& settings,
                      int count, std::vector<Candidate>* ranked) const = 0;
};

}  // namespace zhongcao::ranking
