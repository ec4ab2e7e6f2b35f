#include "ranking/scorer/ranker_model.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "ranking/scorer/ranking_features.h"
#include "xgboost/c_api.h"
#include "xxhash.h"

namespace zhongcao::ranking {
namespace {

// XGBoost's last error without its timestamp, source location and stack
// trace: "[12:00:00] ./src/io.cc:102: Opening x failed" -> "Opening x failed".
std::string XgbError() {
  std::string text = XGBGetLastError();
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text[0] == '[') {
    if (size_t close = text.find("] "); close != std::string::npos) {
      text = text.substr(close + 2);
      // A source location "path:line: " follows when XGBoost logged it.
      if (size_t colon = text.find(": ");
          colon != std::string::npos &&
          text.substr(0, colon).find(' ') == std::string::npos) {
        text = text.substr(colon + 2);
      }
    }
  }
  return text;
}

// An __array_interface__ for a row-major float32 matrix, as the inplace
// prediction wants it.
std::string ArrayInterface(const float* data, size_t rows, size_t cols) {
  return absl::StrFormat(
      R"({"data": [%u, true], "shape": [%u, %u], "typestr": "<f4", "version": 3})",
      reinterpret_cast<uintptr_t>(data), rows, cols);
}

// Plain prediction (type 0) of every tree. No value is missing: every
// feature is always computed.
constexpr char kPredictConfig[] =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
    R"( "strict_shape": false, "missing": NaN, "cache_id": 0})";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> Attr(BoosterHandle booster, const char* key) {
  const char* value = nullptr;
  int found = 0;
  if (XGBoosterGetAttr(booster, key, &value, &found) != 0 || !found || value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RankerModel>> RankerModel::Load(
    const std::string& path) {
  std::error_code error;
  if (path.empty()) return absl::InvalidArgumentError("path: must be set");
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("path: no model file at \"", path, "\""));
  }
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    return absl::DataLossError(absl::StrCat("path: cannot read \"", path, "\""));
  }

  std::shared_ptr<RankerModel> model(new RankerModel());
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot create an XGBoost booster: ", XgbError()));
  }
  model->booster_ = booster;  // freed by ~RankerModel from here on
  if (bytes.empty() ||
      XGBoosterLoadModelFromBuffer(booster, bytes.data(), bytes.size()) != 0) {
    return absl::DataLossError(absl::StrCat(
        "path: \"", path, "\" is not an XGBoost model",
        bytes.empty() ? " (empty file)" : ": ", bytes.empty() ? "" : XgbError()));
  }

  RankerModelInfo& info = model->info_;
  info.path = path;
  info.version = absl::StrFormat(
      "m-%016x", static_cast<uint64_t>(XXH64(bytes.data(), bytes.size(), 0)));
  info.loaded_at_ms = NowMs();
  info.label = Attr(booster, kModelLabelAttr).value_or("");
  const std::optional<std::string> features = Attr(booster, kModelFeaturesAttr);
  const std::optional<std::string> feature_version =
      Attr(booster, kModelFeatureVersionAttr);
  if (!features.has_value() || !feature_version.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("path: \"", path,
                     "\" has no ranking feature list; train it with zhongcao_rank_train, "
                     "which records "
                     "the features it was trained on"));
  }
  if (!features->empty()) info.features = absl::StrSplit(*features, ',');
  info.feature_version = *feature_version;
  if (info.features != RankingFeatureNames() ||
      info.feature_version != RankingFeatureVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "path: \"", path, "\" was trained on features [", *features, "] (version ",
        info.feature_version, ") but this server computes [",
        absl::StrJoin(RankingFeatureNames(), ","), "] (version ", RankingFeatureVersion(),
        "); retrain it with zhongcao_rank_train on examples from this build"));
  }
  bst_ulong num_features = 0;
  if (XGBoosterGetNumFeature(booster, &num_features) != 0 ||
      num_features != static_cast<bst_ulong>(NumRankingFeatures())) {
    return absl::FailedPreconditionError(
        absl::StrCat("path: \"", path, "\" takes ", num_features, " features, not the ",
                     NumRankingFeatures(), " its feature list names"));
  }
  int rounds = 0;
  if (XGBoosterBoostedRounds(booster, &rounds) == 0) info.trees = rounds;
  bst_ulong config_len = 0;
  const char* config = nullptr;
  if (XGBoosterSaveJsonConfig(booster, &config_len, &config) == 0) {
    const auto json = nlohmann::json::parse(config, config + config_len, nullptr, false);
    if (!json.is_discarded()) {
      info.objective = json.value(nlohmann::json::json_pointer("/learner/objective/name"),
                                  std::string());
    }
  }
  // Serving threads each score one request: XGBoost's own threads would
  // only compete with them. Set before any prediction; never changed after.
  if (XGBoosterSetParam(booster, "nthread", "1") != 0) {
    return absl::InternalError(absl::StrCat("cannot configure the model: ", XgbError()));
  }
  // The first prediction configures the booster; do it here, before any
  // request can share it, and prove the model scores a row.
  const std::vector<float> row(NumRankingFeatures(), 0.0f);
  float score = 0;
  if (absl::Status s = model->Predict(row, std::span<float>(&score, 1)); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("path: \"", path, "\" cannot score: ", s.message()));
  }
  if (!std::isfinite(score)) {
    return absl::DataLossError(
        absl::StrCat("path: \"", path, "\" scores a row as ", score));
  }
  return std::shared_ptr<const RankerModel>(std::move(model));
}

RankerModel::~RankerModel() {
  if (booster_ != nullptr) XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

absl::Status RankerModel::Predict(std::span<const float> rows,
                                  std::span<float> scores) const {
  const size_t cols = NumRankingFeatures();
  if (rows.size() != scores.size() * cols) {
    return absl::InvalidArgumentError(absl::StrCat("rows: ", rows.size(), " values for ",
                                                   scores.size(), " rows of ", cols));
  }
  if (scores.empty()) return absl::OkStatus();
  const std::string values = ArrayInterface(rows.data(), scores.size(), cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* out = nullptr;
  if (XGBoosterPredictFromDense(static_cast<BoosterHandle>(booster_), values.c_str(),
                                kPredictConfig, nullptr, &shape, &dims, &out) != 0) {
    return absl::InternalError(absl::StrCat("XGBoost prediction failed: ", XgbError()));
  }
  bst_ulong n = dims == 0 ? 0 : 1;
  for (bst_ulong d = 0; d < dims; ++d) n *= shape[d];
  if (n != scores.size()) {
    return absl::InternalError(
        absl::StrCat("XGBoost returned ", n, " scores for ", scores.size(), " rows"));
  }
  // `out` is this thread's buffer inside the booster: copy before anything
  // else calls XGBoost on this thread.
  std::copy(out, out + n, scores.begin());
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const RankerModel>> RankerModelSlot::Load(
    const std::string& path) {
  absl::MutexLock serial(&load_mu_);
  absl::StatusOr<std::shared_ptr<const RankerModel>> model = RankerModel::Load(path);
  if (!model.ok()) return model.status();
  absl::MutexLock lock(&mu_);
  current_ = *model;
  return model;
}

}  // namespace zhongcao::ranking
