#include "ranking/feed_pipeline.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "ranking/stage_trace.h"

namespace zhongcao::ranking {
namespace {

// Dropped ids listed per stage in a debug trace; the count is always exact.
constexpr int kMaxDroppedInTrace = 200;

}  // namespace

FeedPipeline::FeedPipeline(FeedPipelineStages stages, FeatureHydrator hydrator,
                           int source_threads)
    : stages_(std::move(stages)),
      hydrator_(std::move(hydrator)),
      executor_(source_threads),
      degraded_(new std::atomic<int64_t>[stages_.sources.size()]) {
  for (size_t i = 0; i < stages_.sources.size(); ++i) degraded_[i] = 0;
}

absl::flat_hash_map<std::string, int64_t> FeedPipeline::DegradedCounts() const {
  absl::flat_hash_map<std::string, int64_t> counts;
  for (size_t i = 0; i < stages_.sources.size(); ++i) {
    counts[stages_.sources[i].source->name()] = degraded_[i].load();
  }
  return counts;
}

absl::StatusOr<std::vector<Candidate>> FeedPipeline::Run(
    std::shared_ptr<FeedContext> context, const FeedSettings& settings, int count,
    std::chrono::steady_clock::time_point request_deadline,
    google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
    FeedRunReport* report) const {
  absl::StatusOr<std::vector<Candidate>> candidates =
      Retrieve(context, settings, request_deadline, trace, report);
  if (candidates.ok()) Rank(context, settings, count, trace, &*candidates);
  return candidates;
}

absl::StatusOr<std::vector<Candidate>> FeedPipeline::Retrieve(
    std::shared_ptr<FeedContext> context, const FeedSettings& settings,
    std::chrono::steady_clock::time_point request_deadline,
    google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
    FeedRunReport* report) const {
  // Sources, concurrently. Each task shares the context, so a source that
  // misses the deadline can finish safely after this request has moved on.
  const bool cold = context->user_vector.empty();
  std::vector<SourceExecutor::Task> tasks;
  std::vector<size_t> running;
  for (size_t i = 0; i < stages_.sources.size(); ++i) {
    const int budget = stages_.sources[i].budget(settings.budgets, cold);
    if (budget <= 0) continue;
    const CandidateSource* source = stages_.sources[i].source.get();
    std::shared_ptr<const FeedContext> shared = context;
    tasks.push_back([source, shared, budget] { return source->Fetch(*shared, budget); });
    running.push_back(i);
  }
  // The rest of the request (hydration, scoring, the answer) needs time too,
  // so sources get at most half of what the caller left.
  const auto now = std::chrono::steady_clock::now();
  const auto deadline =
      std::min(now + std::chrono::milliseconds(settings.budgets.source_deadline_ms),
               now + (std::max(request_deadline, now) - now) / 2);
  std::vector<SourceExecutor::Outcome> outcomes =
      executor_.RunAll(std::move(tasks), deadline);

  // Sized for every source's list at once, so that no candidate moves
  // while merging and `position` can key by views of their ids.
  size_t found = 0;
  for (const SourceExecutor::Outcome& outcome : outcomes) {
    if (outcome.finished && outcome.result.ok()) found += outcome.result->size();
  }
  std::vector<Candidate> candidates;
  candidates.reserve(found);
  absl::flat_hash_map<absl::string_view, size_t> position;
  position.reserve(found);
  for (size_t t = 0; t < outcomes.size(); ++t) {
    const size_t i = running[t];
    const std::string name(stages_.sources[i].source->name());
    SourceExecutor::Outcome& outcome = outcomes[t];
    if (!outcome.finished || !outcome.result.ok()) {
      ++degraded_[i];
      report->degraded_sources.push_back(name);
      if (v1::StageTrace* st = AddTrace(trace, "source:" + name, 0, 0, outcome.micros)) {
        st->add_dropped(
            outcome.finished
                ? absl::StrCat("source failed: ", outcome.result.status().ToString())
                : "source missed its deadline");
      }
      continue;
    }
    AddTrace(trace, "source:" + name, 0, outcome.result->size(), outcome.micros);
    for (Candidate& c : *outcome.result) {
      auto it = position.find(c.item_id);
      if (it == position.end()) {
        candidates.push_back(std::move(c));
        position.emplace(candidates.back().item_id, candidates.size() - 1);
        continue;
      }
      Candidate& kept = candidates[it->second];
      kept.sources.insert(kept.sources.end(), c.sources.begin(), c.sources.end());
      if (!kept.retrieval_similarity) kept.retrieval_similarity = c.retrieval_similarity;
    }
  }

  auto run_filters = [&](bool with_features) {
    for (const auto& filter : stages_.filters) {
      if (filter->needs_features() != with_features) continue;
      StageTimer timer;
      const size_t in = candidates.size();
      std::vector<std::string> dropped;
      // Removed in place, keeping the order: a stable partition would
      // allocate a buffer of candidates (a few hundred bytes each) per
      // filter only to move the dropped ones to the end.
      std::erase_if(candidates, [&](const Candidate& c) {
        if (filter->Keep(c, *context)) return false;
        if (trace != nullptr && dropped.size() < kMaxDroppedInTrace) {
          dropped.push_back(absl::StrCat(c.item_id, ": ", filter->name()));
        }
        return true;
      });
      if (v1::StageTrace* st = AddTrace(trace, absl::StrCat("filter:", filter->name()),
                                        in, candidates.size(), timer.micros())) {
        for (std::string& d : dropped) st->add_dropped(std::move(d));
      }
    }
  };
  run_filters(/*with_features=*/false);
  {
    StageTimer timer;
    if (absl::Status s = hydrator_.Hydrate(context.get(), &candidates); !s.ok()) return s;
    AddTrace(trace, "hydrate", candidates.size(), candidates.size(), timer.micros());
  }
  run_filters(/*with_features=*/true);
  return candidates;
}

void FeedPipeline::Rank(std::shared_ptr<const FeedContext> context,
                        const FeedSettings& settings, int count,
                        google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
                        std::vector<Candidate>* candidates_out) const {
  std::vector<Candidate>& candidates = *candidates_out;
  {
    StageTimer timer;
    stages_.scorer->Score(*context, settings.weights, &candidates);
    SortByScore(&candidates);
    AddTrace(trace, "score", candidates.size(), candidates.size(), timer.micros());
  }
  for (const auto& reranker : stages_.rerankers) {
    StageTimer timer;
    const size_t in = candidates.size();
    std::vector<std::string> before;
    if (trace != nullptr) {
      for (const Candidate& c : candidates) before.push_back(c.item_id);
    }
    reranker->ReRank(*context, settings.rerank, count, &candidates);
    if (v1::StageTrace* st = AddTrace(trace, absl::StrCat("rerank:", reranker->name()),
                                      in, candidates.size(), timer.micros())) {
      absl::flat_hash_map<std::string, bool> kept;
      for (const Candidate& c : candidates) kept[c.item_id] = true;
      for (const std::string& id : before) {
        if (!kept.contains(id) && st->dropped_size() < kMaxDroppedInTrace) {
          st->add_dropped(absl::StrCat(id, ": ", reranker->name()));
        }
      }
    }
  }
}

}  // namespace zhongcao::ranking
