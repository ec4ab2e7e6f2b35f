#include "tools/rank_train/ranker_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ranking/scorer/ranker_model.h"
#include "ranking/scorer/ranking_features.h"
#include "xgboost/c_api.h"
#include "xxhash.h"

namespace zhongcao::rank_train {
namespace {

// Rows and groups of one side of the split.
struct Part {
  std::vector<float> features;
  std::vector<float> labels;
  std::vector<uint32_t> group_sizes;
};

std::string XgbError() {
  std::string text = XGBGetLastError();
  return text.substr(0, text.find('\n'));
}

#define XGB_OR_RETURN(call)                                                             \
  do {                                                                                  \
    if ((call) != 0) return absl::InternalError(absl::StrCat(#call, ": ", XgbError())); \
  } while (0)

// Frees XGBoost handles however training ends.
struct Handles {
  DMatrixHandle train = nullptr;
  DMatrixHandle holdout = nullptr;
  BoosterHandle booster = nullptr;
  ~Handles() {
    if (booster != nullptr) XGBoosterFree(booster);
    if (train != nullptr) XGDMatrixFree(train);
    if (holdout != nullptr) XGDMatrixFree(holdout);
  }
};

absl::Status MakeMatrix(const Part& part, size_t cols, DMatrixHandle* out) {
  XGB_OR_RETURN(XGDMatrixCreateFromMat(part.features.data(), part.labels.size(), cols,
                                       std::nanf(""), out));
  XGB_OR_RETURN(
      XGDMatrixSetFloatInfo(*out, "label", part.labels.data(), part.labels.size()));
  XGB_OR_RETURN(XGDMatrixSetUIntInfo(*out, "group", part.group_sizes.data(),
                                     part.group_sizes.size()));
  return absl::OkStatus();
}

// Mean NDCG@k over the groups of `part` that have a positive label.
double MeanNdcg(const Part& part, std::span<const float> scores, int k, int64_t* judged) {
  double sum = 0;
  *judged = 0;
  size_t begin = 0;
  for (uint32_t size : part.group_sizes) {
    const std::span<const float> labels(part.labels.data() + begin, size);
    if (std::any_of(labels.begin(), labels.end(), [](float l) { return l > 0; })) {
      sum += GroupNdcg(labels, scores.subspan(begin, size), k);
      ++*judged;
    }
    begin += size;
  }
  return *judged == 0 ? 0 : sum / *judged;
}

}  // namespace

double GroupNdcg(std::span<const float> labels, std::span<const float> scores, int k) {
  std::vector<size_t> order(labels.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<float> ideal(labels.begin(), labels.end());
  std::sort(ideal.begin(), ideal.end(), std::greater<>());
  double dcg = 0;
  double best = 0;
  for (size_t i = 0; i < order.size() && i < static_cast<size_t>(k); ++i) {
    const double discount = 1.0 / std::log2(i + 2.0);
    dcg += (std::exp2(labels[order[i]]) - 1) * discount;
    best += (std::exp2(ideal[i]) - 1) * discount;
  }
  return best > 0 ? dcg / best : 0;
}

absl::StatusOr<RankerTrainReport> TrainRanker(const RankingDataset& data,
                                              const RankerTrainOptions& options,
                                              const std::string& model_path) {
  if (data.feature_names != ranking::RankingFeatureNames()) {
    return absl::InvalidArgumentError(
        absl::StrCat("examples carry features [", absl::StrJoin(data.feature_names, ","),
                     "], not this build's [",
                     absl::StrJoin(ranking::RankingFeatureNames(), ","), "]"));
  }
  if (options.objective != "rank:ndcg" && options.objective != "rank:pairwise" &&
      options.objective != "rank:map") {
    return absl::InvalidArgumentError(
        absl::StrCat("objective: \"", options.objective,
                     "\"; expected rank:ndcg, rank:pairwise or rank:map"));
  }
  if (options.rounds < 1) return absl::InvalidArgumentError("rounds: must be at least 1");
  if (options.threads < 1)
    return absl::InvalidArgumentError("threads: must be at least 1");
  if (!(options.holdout_fraction >= 0 && options.holdout_fraction < 1)) {
    return absl::InvalidArgumentError("holdout_fraction: must be in [0, 1)");
  }
  const size_t cols = data.num_features();

  // Whole requests go to one side, by a hash of their id: the split does
  // not depend on the order of the file.
  Part train;
  Part holdout;
  size_t begin = 0;
  for (size_t g = 0; g < data.group_sizes.size(); ++g) {
    const std::string& id = data.group_ids[g];
    const double u =
        static_cast<double>(XXH64(id.data(), id.size(), options.seed) >> 11) /
        static_cast<double>(uint64_t{1} << 53);
    Part& part = u < options.holdout_fraction ? holdout : train;
    const uint32_t size = data.group_sizes[g];
    part.group_sizes.push_back(size);
    part.labels.insert(part.labels.end(), data.labels.begin() + begin,
                       data.labels.begin() + begin + size);
    part.features.insert(part.features.end(), data.features.begin() + begin * cols,
                         data.features.begin() + (begin + size) * cols);
    begin += size;
  }
  if (train.labels.empty()) {
    return absl::InvalidArgumentError("no training examples (after the hold-out)");
  }
  RankerTrainReport report;
  report.train_rows = train.labels.size();
  report.train_groups = train.group_sizes.size();
  report.holdout_rows = holdout.labels.size();
  report.holdout_groups = holdout.group_sizes.size();

  Handles h;
  if (absl::Status s = MakeMatrix(train, cols, &h.train); !s.ok()) return s;
  if (!holdout.labels.empty()) {
    if (absl::Status s = MakeMatrix(holdout, cols, &h.holdout); !s.ok()) return s;
  }
  XGB_OR_RETURN(XGBoosterCreate(&h.train, 1, &h.booster));
  const std::pair<std::string, std::string> params[] = {
      {"objective", options.objective},
      {"eval_metric", absl::StrCat("ndcg@", options.ndcg_at)},
      // Histogram trees: fast on millions of rows, and deterministic on CPU
      // for a fixed thread count and seed.
      {"tree_method", "hist"},
      {"eta", absl::StrCat(options.learning_rate)},
      {"max_depth", absl::StrCat(options.max_depth)},
      {"min_child_weight", absl::StrCat(options.min_child_weight)},
      {"subsample", absl::StrCat(options.subsample)},
      {"nthread", absl::StrCat(options.threads)},
      {"seed", absl::StrCat(options.seed)},
      {"verbosity", "1"},
  };
  for (const auto& [name, value] : params) {
    XGB_OR_RETURN(XGBoosterSetParam(h.booster, name.c_str(), value.c_str()));
  }
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < options.rounds; ++round) {
    XGB_OR_RETURN(XGBoosterUpdateOneIter(h.booster, round, h.train));
    if (options.verbose && h.holdout != nullptr &&
        ((round + 1) % 50 == 0 || round + 1 == options.rounds)) {
      const char* names[] = {"holdout"};
      const char* result = nullptr;
      XGB_OR_RETURN(
          XGBoosterEvalOneIter(h.booster, round, &h.holdout, names, 1, &result));
      std::fprintf(stderr, "%s\n", result);
    }
  }
  report.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The model states what it was trained on; the server refuses it on any
  // other feature list.
  XGB_OR_RETURN(XGBoosterSetAttr(h.booster, ranking::kModelFeaturesAttr,
                                 absl::StrJoin(data.feature_names, ",").c_str()));
  XGB_OR_RETURN(XGBoosterSetAttr(h.booster, ranking::kModelFeatureVersionAttr,
                                 ranking::RankingFeatureVersion().c_str()));
  XGB_OR_RETURN(
      XGBoosterSetAttr(h.booster, ranking::kModelLabelAttr, options.label.c_str()));
  XGB_OR_RETURN(XGBoosterSaveModel(h.booster, model_path.c_str()));

  // Judge the file as the server will load it.
  absl::StatusOr<std::shared_ptr<const ranking::RankerModel>> model =
      ranking::RankerModel::Load(model_path);
  if (!model.ok()) {
    return absl::InternalError(
        absl::StrCat("the saved model does not load back: ", model.status().message()));
  }
  report.model_version = (*model)->info().version;
  if (!holdout.labels.empty()) {
    std::vector<float> scores(holdout.labels.size());
    if (absl::Status s = (*model)->Predict(holdout.features, scores); !s.ok()) return s;
    report.model_ndcg =
        MeanNdcg(holdout, scores, options.ndcg_at, &report.holdout_groups_judged);
    // The weighted scorer's order: the same sum, in the same order, as
    // WeightedScorer.
    const std::vector<float> weights =
        ranking::RankingFeatureWeights(options.baseline_weights);
    for (size_t row = 0; row < scores.size(); ++row) {
      float score = 0;
      for (size_t f = 0; f < cols; ++f)
        score += weights[f] * holdout.features[row * cols + f];
      scores[row] = score;
    }
    report.weighted_ndcg =
        MeanNdcg(holdout, scores, options.ndcg_at, &report.holdout_groups_judged);
  }
  return report;
}

}  // namespace zhongcao::rank_train
