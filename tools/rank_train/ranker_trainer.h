// Trains the learned ranker: LambdaMART (XGBoost's rank:ndcg) over ranking
// examples, written as an XGBoost model file that the server's
// RankerModel::Load accepts, and judged against the weighted-sum scorer on
// held-out requests.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "ranking/feed_settings.h"
#include "tools/rank_train/ranking_examples.h"

namespace zhongcao::rank_train {

struct RankerTrainOptions {
  // rank:ndcg is LambdaMART: pairwise gradients weighted by how much
  // swapping the pair changes NDCG, so the top of the list and the graded
  // labels (a purchase over a click) count most, as in a feed. rank:pairwise
  // weighs every misordered pair alike.
  std::string objective = "rank:ndcg";
  int rounds = 300;
  double learning_rate = 0.1;
  int max_depth = 6;
  double min_child_weight = 1;
  double subsample = 1;  // of rows per tree; below 1 draws with `seed`
  int threads = 2;
  uint64_t seed = 42;
  // Requests (whole groups, chosen by a hash of request id and seed) kept
  // out of training to judge the model; 0 trains on every request.
  double holdout_fraction = 0.2;
  int ndcg_at = 10;
  std::string label;  // stored in the model, shown by GetStatus
  // The weighted scorer the model is compared with (defaults: the
  // built-in weights).
  ranking::ScoringWeights baseline_weights;
  bool verbose = false;  // print the held-out NDCG every 50 rounds
};

struct RankerTrainReport {
  int64_t train_rows = 0;
  int64_t train_groups = 0;
  int64_t holdout_rows = 0;
  int64_t holdout_groups = 0;
  // Held-out groups with at least one positive label: the ones NDCG@k is
  // averaged over (a group without one ranks every order alike).
  int64_t holdout_groups_judged = 0;
  double model_ndcg = 0;     // the saved model, loaded back as the server does
  double weighted_ndcg = 0;  // the weighted-sum scorer on the same groups
  double train_seconds = 0;  // boosting only
  std::string model_version;
};

// Trains on `data` and writes the model to `model_path` (JSON when it ends
// in ".json", else XGBoost's binary format).
absl::StatusOr<RankerTrainReport> TrainRanker(const RankingDataset& data,
                                              const RankerTrainOptions& options,
                                              const std::string& model_path);

// NDCG@k of one group ordered by `scores`, best first, ties by row order;
// gain 2^label - 1, discount log2(position + 1). 0 without a positive label.
double GroupNdcg(std::span<const float> labels, std::span<const float> scores, int k);

}  // namespace zhongcao::rank_train
