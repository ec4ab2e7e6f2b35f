// The feed pipeline: sources, then filters that need no features, one
// hydration, filters on features, and a scorer, each stage timed and traced.
// A surface's feed is a configuration of these stages.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/filter/filter.h"
#include "ranking/hydrator/feature_hydrator.h"
#include "ranking/scorer/weighted_scorer.h"
#include "ranking/source/candidate_source.h"
#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::ranking {

struct SourceStage {
  std::unique_ptr<CandidateSource> source;
  int budget = 0;             // for a user with a vector
  int cold_start_budget = 0;  // for a user without one
};

class FeedPipeline {
 public:
  FeedPipeline(std::vector<SourceStage> sources,
               std::vector<std::unique_ptr<Filter>> filters, FeatureHydrator hydrator,
               std::unique_ptr<Scorer> scorer);

  // Eligible candidates, best first. Appends one StageTrace per stage to
  // `trace` when it is not null.
  absl::StatusOr<std::vector<Candidate>> Run(
      FeedContext* context,
      google::protobuf::RepeatedPtrField<v1::StageTrace>* trace) const;

 private:
  std::vector<SourceStage> sources_;
  std::vector<std::unique_ptr<Filter>> filters_;
  FeatureHydrator hydrator_;
  std::unique_ptr<Scorer> scorer_;
};

}  // namespace zhongcao::ranking
