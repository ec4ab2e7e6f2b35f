// A filter: drops candidates that must not be shown. Its name is the reason
// given for every candidate it drops (traces, metrics).
#pragma once

#include "absl/strings/string_view.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"

namespace zhongcao::ranking {

class Filter {
 public:
  virtual ~Filter() = default;
  virtual absl::string_view name() const = 0;
  // Whether the filter needs hydrated features (item, counters, creator).
  virtual bool needs_features() const = 0;
  virtual bool Keep(const Candidate& candidate, const FeedContext& context) const = 0;
};

}  // namespace zhongcao::ranking
