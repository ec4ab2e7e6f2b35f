// The feed pipeline: sources run concurrently under a deadline, then filters
// that need no features, one hydration, filters on features, a scorer and
// re-rankers, each stage timed and traced. A surface's feed is a
// configuration of these stages; per-request settings (budgets, weights,
// re-ranking strengths) come from FeedSettings, so experiment arms can
// change them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "ranking/feed_settings.h"
#include "ranking/filter/filter.h"
#include "ranking/hydrator/feature_hydrator.h"
#include "ranking/reranker/reranker.h"
#include "ranking/scorer/weighted_scorer.h"
#include "ranking/source/candidate_source.h"
#include "ranking/source_executor.h"
#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::ranking {

struct SourceStage {
  std::unique_ptr<CandidateSource> source;
  // The source's budget under the request's settings; `cold_start` is true
  // for a user without a long-term vector. 0 skips the source.
  std::function<int(const SourceBudgets&, bool cold_start)> budget;
};

struct FeedPipelineStages {
  std::vector<SourceStage> sources;
  std::vector<std::unique_ptr<Filter>> filters;
  std::unique_ptr<Scorer> scorer;
  std::vector<std::unique_ptr<ReRanker>> rerankers;
};

// What one run produced besides the candidates.
struct FeedRunReport {
  std::vector<std::string> degraded_sources;  // failed or late
};

class FeedPipeline {
 public:
  FeedPipeline(FeedPipelineStages stages, FeatureHydrator hydrator, int source_threads);

  // Eligible candidates, the page's `count` first (after re-ranking), the
  // rest best first. Sources get until the settings' source deadline or
  // half the time to `request_deadline`, whichever comes first. Appends one
  // StageTrace per stage to `trace` when it is not null.
  absl::StatusOr<std::vector<Candidate>> Run(
      std::shared_ptr<FeedContext> context, const FeedSettings& settings, int count,
      std::chrono::steady_clock::time_point request_deadline,
      google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
      FeedRunReport* report) const;

  // Run in two halves, so that two arms can share the first (interleaving):
  // sources, filters and hydration give unscored candidates; Rank scores
  // and re-ranks them under `settings`. Run is Retrieve then Rank.
  absl::StatusOr<std::vector<Candidate>> Retrieve(
      std::shared_ptr<FeedContext> context, const FeedSettings& settings,
      std::chrono::steady_clock::time_point request_deadline,
      google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
      FeedRunReport* report) const;
  void Rank(std::shared_ptr<const FeedContext> context, const FeedSettings& settings,
            int count, google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
            std::vector<Candidate>* candidates) const;

  // Responses each source was left out of, by source name, since start.
  absl::flat_hash_map<std::string, int64_t> DegradedCounts() const;

 private:
  FeedPipelineStages stages_;
  FeatureHydrator hydrator_;
  mutable SourceExecutor executor_;
  // One counter per source, in the order of stages_.sources.
  std::unique_ptr<std::atomic<int64_t>[]> degraded_;
};

}  // namespace zhongcao::ranking
