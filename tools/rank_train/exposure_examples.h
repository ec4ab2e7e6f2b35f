// Ranking examples from what a server logged: every item of a logged
// response (an exposure) becomes one example with the raw features it was
// scored on, labelled by RankingLabel() of the outcomes that name its
// request and item. This is the join of the exposure and outcome logs on
// (request id, item id); it knows nothing of how the logs are read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "tools/rank_train/ranking_examples.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::rank_train {

// What users did with served items, by (request id, item id).
class OutcomeLabels {
 public:
  // An event without a request id is not an outcome of a response: ignored.
  void Add(const v1::Event& event);
  // The strongest outcome's label, 0 when none.
  int Label(absl::string_view request_id, absl::string_view item_id) const;
  int64_t outcomes() const { return outcomes_; }

 private:
  absl::flat_hash_map<std::string, int> labels_;
  int64_t outcomes_ = 0;
};

struct ExampleJoinOptions {
  // Leave out requests where no served item has a positive label: LambdaMART
  // learns nothing from a request whose items are all alike, and they are
  // most of a log.
  bool requests_with_outcomes_only = false;
};

struct ExampleJoinStats {
  int64_t exposures = 0;     // responses seen
  int64_t served_items = 0;  // items in them
  int64_t examples = 0;      // examples made
  int64_t requests = 0;      // requests with at least one example
  int64_t positive_examples = 0;
  int64_t requests_with_outcome = 0;  // among `requests`
  int64_t skipped_requests = 0;       // without an outcome, when left out
  // Items logged with another list of ranking features than this build's
  // (by an older or newer server): their features cannot be read as ours.
  int64_t skipped_other_features = 0;
};

// Appends one example per usable item of `exposure` to `out`.
void AppendExamples(const v1::Exposure& exposure, const OutcomeLabels& labels,
                    const ExampleJoinOptions& options, std::vector<RankingExample>* out,
                    ExampleJoinStats* stats);

}  // namespace zhongcao::rank_train
