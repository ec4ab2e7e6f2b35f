// "fresh": new items that few people have seen yet, so that new posts get
// the exposure that lets the engagement signals learn about them (cold
// start for items, exploration for users).
#pragma once

#include <cstdint>

#include "ranking/source/candidate_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class FreshSource : public CandidateSource {
 public:
  struct Options {
    int64_t window_ms = 72LL * 3600 * 1000;  // "new" means created this recently
    uint64_t max_impressions = 50;           // "little exposure": fewer than this
    int max_scan = 1000;                     // newest items examined per request
  };
  FreshSource(const store::FeatureStore& store, Options options)
      : store_(store), options_(options) {}
  explicit FreshSource(const store::FeatureStore& store)
      : FreshSource(store, Options()) {}
  absl::string_view name() const override { return "fresh"; }
  // Newest first. Items the user has seen do not count toward `budget`
  // (the seen filter will drop them), nor does the page's served count.
  absl::StatusOr<std::vector<Candidate>> Fetch(const FeedContext& context,
                                               int budget) const override;

 private:
  const store::FeatureStore& store_;
  Options options_;
};

}  // namespace zhongcao::ranking
