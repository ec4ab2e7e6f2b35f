// Nearest items to one of the request's vectors, with kind, region,
// availability and seen items filtered inside the search:
//   "ann:user"     the user's long-term vector
//   "ann:session"  the session vector built from the user's latest events
// Each returns nothing when the request has no such vector. Both search the
// request's pinned index version (FeedContext::item_index).
#pragma once

#include <string>
#include <vector>

#include "index/vector_index.h"
#include "ranking/source/candidate_source.h"

namespace zhongcao::ranking {

class AnnSource : public CandidateSource {
 public:
  using VectorOf = const std::vector<float>& (*)(const FeedContext&);
  AnnSource(std::string name, VectorOf vector)
      : name_(std::move(name)), vector_(vector) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  std::string name_;
  VectorOf vector_;
};

class AnnUserSource : public AnnSource {
 public:
  AnnUserSource()
      : AnnSource("ann:user", [](const FeedContext& c) -> const std::vector<float>& {
          return c.user_vector;
        }) {}
};

class AnnSessionSource : public AnnSource {
 public:
  AnnSessionSource()
      : AnnSource("ann:session", [](const FeedContext& c) -> const std::vector<float>& {
          return c.session_vector;
        }) {}
};

}  // namespace zhongcao::ranking
