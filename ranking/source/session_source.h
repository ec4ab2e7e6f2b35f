// "ann:session": the nearest items to the session vector (what the user
// engaged with in their latest events), filtered inside the search like
// "ann:user".
#pragma once

#include "index/vector_index.h"
#include "ranking/source/candidate_source.h"

namespace zhongcao::ranking {

class AnnSessionSource : public CandidateSource {
 public:
  explicit AnnSessionSource(const index::VectorIndex& index) : index_(index) {}
  absl::string_view name() const override { return "ann:session"; }
  // Nothing when the context has no session vector.
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const index::VectorIndex& index_;
};

}  // namespace zhongcao::ranking
