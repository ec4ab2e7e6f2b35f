// Ranking examples read from a running server: its exposure log joined with
// its outcome log (or with outcomes the caller knows, such as an offline
// evaluator's held-out items), over gRPC.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "tools/log_reader/log_reader.h"
#include "tools/rank_train/exposure_examples.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::rank_train {

struct JoinedExamples {
  std::vector<RankingExample> examples;
  ExampleJoinStats stats;
  int64_t outcomes = 0;  // outcome events read or given
};

// Reads the outcomes from range.since_ms on, to the end of the log (an
// outcome is recorded after the response it names, possibly after
// range.until_ms), then the exposures of `range`, and joins them.
absl::StatusOr<JoinedExamples> ExamplesFromServer(v1::AdminService::StubInterface& stub,
                                                  const log_reader::LogRange& range,
                                                  const ExampleJoinOptions& options);

// The exposures of `range` joined with the given outcomes.
absl::StatusOr<JoinedExamples> ExamplesFromExposures(
    v1::AdminService::StubInterface& stub, const log_reader::LogRange& range,
    const OutcomeLabels& labels, const ExampleJoinOptions& options);

}  // namespace zhongcao::rank_train
