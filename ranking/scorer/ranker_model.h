// A learned ranking model: an XGBoost gradient-boosted tree model
// (LambdaMART, written by zhongcao_rank_train), loaded from its file and
// checked against this build's ranking features; and the slot that serves
// one, swapped atomically like an index version. XGBoost stays behind this
// header.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace zhongcao::ranking {

// Attributes the trainer stores in the model file (XGBoost keeps string
// attributes in both its JSON and binary formats), so the file is all a
// server needs.
inline constexpr char kModelFeaturesAttr[] = "zhongcao_ranking_features";  // "a,b,c"
inline constexpr char kModelFeatureVersionAttr[] = "zhongcao_ranking_feature_version";
inline constexpr char kModelLabelAttr[] = "zhongcao_model_label";  // free text

struct RankerModelInfo {
  std::string path;
  // "m-" and a hash of the file's bytes: the same file gives the same
  // version, any change gives another.
  std::string version;
  std::string label;  // what the trainer was given as --label; may be empty
  std::vector<std::string> features;
  std::string feature_version;
  std::string objective;  // e.g. "rank:ndcg"
  int trees = 0;          // boosting rounds
  int64_t loaded_at_ms = 0;
};

class RankerModel {
 public:
  // Loads and checks the model at `path`: NOT_FOUND without such a file,
  // DATA_LOSS when it is not a readable XGBoost model, FAILED_PRECONDITION
  // when it was not trained by zhongcao_rank_train on exactly this build's
  // RankingFeatureNames() (the message names both lists).
  static absl::StatusOr<std::shared_ptr<const RankerModel>> Load(const std::string& path);
  ~RankerModel();
  RankerModel(const RankerModel&) = delete;
  RankerModel& operator=(const RankerModel&) = delete;

  const RankerModelInfo& info() const { return info_; }

  // Scores `rows` (row-major, NumRankingFeatures() values per row) into
  // `scores` (one per row), higher is better, in one call. Safe to call from
  // many threads at once: XGBoost (since 1.4) documents prediction on a
  // shared tree booster as thread-safe, and nothing here mutates it after
  // Load, which also runs the first prediction (XGBoost configures lazily).
  absl::Status Predict(std::span<const float> rows, std::span<float> scores) const;

 private:
  RankerModel() = default;
  void* booster_ = nullptr;  // BoosterHandle
  RankerModelInfo info_;
};

// The model a server scores with, or none. Requests take Current() once and
// keep that model however often it is swapped.
class RankerModelSlot {
 public:
  std::shared_ptr<const RankerModel> Current() const {
    absl::ReaderMutexLock lock(&mu_);
    return current_;
  }
  // Loads and checks `path` (see RankerModel::Load), then serves it and
  // returns it. On any error the served model is untouched.
  absl::StatusOr<std::shared_ptr<const RankerModel>> Load(const std::string& path);

 private:
  absl::Mutex load_mu_;  // one load at a time; serving never waits on it
  mutable absl::Mutex mu_;
  std::shared_ptr<const RankerModel> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zhongcao::ranking
