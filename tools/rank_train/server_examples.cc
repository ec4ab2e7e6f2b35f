#include "tools/rank_train/server_examples.h"

namespace zhongcao::rank_train {

absl::StatusOr<JoinedExamples> ExamplesFromExposures(
    v1::AdminService::StubInterface& stub, const log_reader::LogRange& range,
    const OutcomeLabels& labels, const ExampleJoinOptions& options) {
  JoinedExamples joined;
  joined.outcomes = labels.outcomes();
  absl::Status s = log_reader::ReadExposures(stub, range, [&](v1::Exposure& exposure) {
    AppendExamples(exposure, labels, options, &joined.examples, &joined.stats);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return joined;
}

absl::StatusOr<JoinedExamples> ExamplesFromServer(v1::AdminService::StubInterface& stub,
                                                  const log_reader::LogRange& range,
                                                  const ExampleJoinOptions& options) {
  log_reader::LogRange outcome_range = range;
  outcome_range.until_ms = 0;
  OutcomeLabels labels;
  absl::Status s = log_reader::ReadOutcomes(stub, outcome_range, [&](v1::Outcome& o) {
    labels.Add(o.event());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return ExamplesFromExposures(stub, range, labels, options);
}

}  // namespace zhongcao::rank_train
