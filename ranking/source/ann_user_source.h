// "ann:user": the nearest items to the user's long-term vector, with kind,
// region, availability and already-seen items filtered inside the search.
#pragma once

#include "index/vector_index.h"
#include "ranking/source/candidate_source.h"

namespace zhongcao::ranking {

class AnnUserSource : public CandidateSource {
 public:
  explicit AnnUserSource(const index::VectorIndex& index) : index_(index) {}
  absl::string_view name() const override { return "ann:user"; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const index::VectorIndex& index_;
};

}  // namespace zhongcao::ranking
