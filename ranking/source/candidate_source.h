// A candidate source: one way of finding items worth ranking for a request.
// A new source is one class implementing this and one line of pipeline
// configuration.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"

namespace zhongcao::ranking {

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // Stable name used in explanations, traces and metrics, e.g. "ann:user".
  virtual absl::string_view name() const = 0;
  // Up to `budget` candidates. Sources do not need to filter; filters run
  // after every source.
  virtual absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                                       int budget) const = 0;
};

}  // namespace zhongcao::ranking
