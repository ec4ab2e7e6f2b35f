#include "ranking/feed_pipeline.h"

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace zhongcao::ranking {
namespace {

// Dropped ids listed per stage in a debug trace; the count is always exact.
constexpr int kMaxDroppedInTrace = 200;

class StageTimer {
 public:
  StageTimer() : start_(std::chrono::steady_clock::now()) {}
  int64_t micros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

void AddTrace(google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
              std::string stage, size_t in, size_t out, const StageTimer& timer,
              std::vector<std::string> dropped = {}) {
  if (trace == nullptr) return;
  v1::StageTrace* t = trace->Add();
  t->set_stage(std::move(stage));
  t->set_candidates_in(static_cast<int32_t>(in));
  t->set_candidates_out(static_cast<int32_t>(out));
  t->set_micros(timer.micros());
  for (std::string& d : dropped) t->add_dropped(std::move(d));
}

}  // namespace

FeedPipeline::FeedPipeline(std::vector<SourceStage> sources,
                           std::vector<std::unique_ptr<Filter>> filters,
                           FeatureHydrator hydrator, std::unique_ptr<Scorer> scorer)
    : sources_(std::move(sources)),
      filters_(std::move(filters)),
      hydrator_(std::move(hydrator)),
      scorer_(std::move(scorer)) {}

absl::StatusOr<std::vector<Candidate>> FeedPipeline::Run(
    FeedContext* context,
    google::protobuf::RepeatedPtrField<v1::StageTrace>* trace) const {
  // Sources, merged by id: an item found twice keeps every source's name.
  std::vector<Candidate> candidates;
  absl::flat_hash_map<std::string, size_t> position;
  const bool cold = context->user_vector.empty();
  for (const SourceStage& stage : sources_) {
    StageTimer timer;
    absl::StatusOr<std::vector<Candidate>> found =
        stage.source->Fetch(*context, cold ? stage.cold_start_budget : stage.budget);
    if (!found.ok()) return found.status();
    AddTrace(trace, absl::StrCat("source:", stage.source->name()), 0, found->size(),
             timer);
    for (Candidate& c : *found) {
      auto [it, inserted] = position.try_emplace(c.item_id, candidates.size());
      if (inserted) {
        candidates.push_back(std::move(c));
        continue;
      }
      Candidate& kept = candidates[it->second];
      kept.sources.insert(kept.sources.end(), c.sources.begin(), c.sources.end());
      if (!kept.retrieval_similarity) kept.retrieval_similarity = c.retrieval_similarity;
    }
  }

  auto run_filters = [&](bool with_features) {
    for (const auto& filter : filters_) {
      if (filter->needs_features() != with_features) continue;
      StageTimer timer;
      const size_t in = candidates.size();
      std::vector<std::string> dropped;
      auto keep_end = std::stable_partition(
          candidates.begin(), candidates.end(), [&](const Candidate& c) {
            if (filter->Keep(c, *context)) return true;
            if (trace != nullptr && dropped.size() < kMaxDroppedInTrace) {
              dropped.push_back(absl::StrCat(c.item_id, ": ", filter->name()));
            }
            return false;
          });
      candidates.erase(keep_end, candidates.end());
      AddTrace(trace, absl::StrCat("filter:", filter->name()), in, candidates.size(),
               timer, std::move(dropped));
    }
  };
  run_filters(/*with_features=*/false);
  {
    StageTimer timer;
    if (absl::Status s = hydrator_.Hydrate(context, &candidates); !s.ok()) return s;
    AddTrace(trace, "hydrate", candidates.size(), candidates.size(), timer);
  }
  run_filters(/*with_features=*/true);
  {
    StageTimer timer;
    scorer_->Score(*context, &candidates);
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) {
                return a.score != b.score ? a.score > b.score : a.item_id < b.item_id;
              });
    AddTrace(trace, "score", candidates.size(), candidates.size(), timer);
  }
  return candidates;
}

}  // namespace zhongcao::ranking
