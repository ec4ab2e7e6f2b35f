// "covisit": the items other users chose together with, and above all right
// after, this user's latest items (store co-visitation rows, kept up to date
// by every recorded event). Reads the request's CovisitAffinity, computed
// once per request when the context is built.
#pragma once

#include "ranking/source/candidate_source.h"

namespace zhongcao::ranking {

class CovisitSource : public CandidateSource {
 public:
  absl::string_view name() const override { return "covisit"; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;
};

}  // namespace zhongcao::ranking
