// The learned ranker trained as a service would train it on real outcomes,
// one step before the test: a replay server holds what precedes the
// validation items, serves each validation user's feed, the exposures come
// back over gRPC with the raw features they were scored on, each user's
// validation item labels them (what the user did after that feed), and
// LambdaMART (tools/rank_train) trains on the join. The test never takes
// part, so the model can be judged on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <span>

#include "absl/status/statusor.h"
#include "tools/evaluate/phases.h"
#include "tools/evaluate/replay_server.h"
#include "tools/evaluate/timeline.h"
#include "tools/rank_train/exposure_examples.h"
#include "tools/rank_train/ranker_trainer.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"

namespace zhongcao::evaluate {

struct RankerValidationOptions {
  ReplayServerOptions server;  // `dir`: this run's own directory
  // Validation feeds are asked for this many items: the model learns to
  // order what a feed serves, and a longer list holds more validation items.
  int feed_count = 100;
  int client_threads = 4;
  bool at_user_time = true;
  // The training events go to the running server in time order between
  // the validation requests (needs at_user_time), as in the test's replay.
  bool replay_in_time = false;
  rank_train::RankerTrainOptions train;
};

struct RankerValidationResult {
  std::filesystem::path model_path;
  int64_t validation_users = 0;
  int64_t outcomes = 0;  // validation items of the users served
  rank_train::ExampleJoinStats join;
  rank_train::RankerTrainReport report;
  int ndcg_at = 10;  // of the report's held-out NDCG
};

// `als` is the test run's setting; it trains again on `split.train`.
absl::StatusOr<RankerValidationResult> TrainRankerOnValidation(
    const RankerValidationOptions& options, const train::InteractionLog& log,
    const train::Split& split, const Timeline& timeline, const train::TrainSettings& als,
    Phases& phases);

}  // namespace zhongcao::evaluate
