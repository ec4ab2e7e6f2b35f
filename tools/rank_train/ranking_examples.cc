#include "tools/rank_train/ranking_examples.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "ranking/scorer/ranking_features.h"

namespace zhongcao::rank_train {
namespace {

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::Status CheckExample(const RankingExample& e, absl::string_view where) {
  if (e.request_id.empty())
    return Invalid(absl::StrCat(where, "request_id"), "must be set");
  if (static_cast<int>(e.features.size()) != ranking::NumRankingFeatures()) {
    return Invalid(absl::StrCat(where, "features"),
                   absl::StrCat(e.features.size(), " values; this build has ",
                                ranking::NumRankingFeatures(), " ranking features"));
  }
  for (size_t i = 0; i < e.features.size(); ++i) {
    if (!std::isfinite(e.features[i])) {
      return Invalid(absl::StrCat(where, "features.", ranking::RankingFeatureNames()[i]),
                     "must be a finite number");
    }
  }
  if (e.label < 0 || e.label > kMaxRankingLabel) {
    return Invalid(absl::StrCat(where, "label"),
                   absl::StrCat(e.label, " is outside 0..", kMaxRankingLabel));
  }
  return absl::OkStatus();
}

// Parses one line; `where` is "file:line: ".
absl::StatusOr<RankingExample> ParseLine(absl::string_view line,
                                         absl::string_view where) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "not a JSON object"));
  }
  RankingExample e;
  const auto id = j.find("request_id");
  if (id == j.end() || !id->is_string()) {
    return Invalid(absl::StrCat(where, "request_id"), "must be a string");
  }
  e.request_id = id->get<std::string>();
  const auto label = j.find("label");
  if (label == j.end() || !label->is_number() ||
      label->get<double>() != std::floor(label->get<double>())) {
    return Invalid(absl::StrCat(where, "label"), "must be a whole number");
  }
  const double label_value = label->get<double>();
  if (label_value < 0 || label_value > kMaxRankingLabel) {
    return Invalid(absl::StrCat(where, "label"),
                   absl::StrCat(label_value, " is outside 0..", kMaxRankingLabel));
  }
  e.label = static_cast<int>(label_value);
  const auto features = j.find("features");
  if (features == j.end() || !features->is_object()) {
    return Invalid(absl::StrCat(where, "features"), "must be an object of name: value");
  }
  const std::vector<std::string>& names = ranking::RankingFeatureNames();
  e.features.assign(names.size(), std::nanf(""));
  for (const auto& [name, value] : features->items()) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      return Invalid(absl::StrCat(where, "features.", name),
                     absl::StrCat("not a ranking feature of this build (version ",
                                  ranking::RankingFeatureVersion(), ")"));
    }
    if (!value.is_number()) {
      return Invalid(absl::StrCat(where, "features.", name), "must be a number");
    }
    e.features[it - names.begin()] = value.get<float>();
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::isnan(e.features[i])) {
      return Invalid(absl::StrCat(where, "features.", names[i]),
                     absl::StrCat("missing; examples must carry every ranking feature "
                                  "of this build (version ",
                                  ranking::RankingFeatureVersion(), ")"));
    }
  }
  if (absl::Status s = CheckExample(e, where); !s.ok()) return s;
  return e;
}

}  // namespace

int RankingLabel(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_PURCHASE:
      return 3;
    case v1::EVENT_TYPE_ADD_TO_CART:
    case v1::EVENT_TYPE_SAVE:
      return 2;
    case v1::EVENT_TYPE_CLICK:
    case v1::EVENT_TYPE_LIKE:
    case v1::EVENT_TYPE_SHARE:
    case v1::EVENT_TYPE_COMMENT:
      return 1;
    default:
      return 0;
  }
}

int RankingLabel(std::span<const v1::EventType> outcomes) {
  int label = 0;
  for (v1::EventType type : outcomes) label = std::max(label, RankingLabel(type));
  return label;
}

absl::StatusOr<RankingDataset> BuildRankingDataset(std::vector<RankingExample> examples) {
  for (size_t i = 0; i < examples.size(); ++i) {
    if (absl::Status s = CheckExample(examples[i], absl::StrCat("examples[", i, "]."));
        !s.ok())
      return s;
  }
  RankingDataset data;
  data.feature_names = ranking::RankingFeatureNames();
  // Rows of each request, requests in order of first appearance.
  absl::flat_hash_map<std::string, size_t> group_of;
  std::vector<std::vector<size_t>> members;
  for (size_t i = 0; i < examples.size(); ++i) {
    auto [it, inserted] = group_of.try_emplace(examples[i].request_id, members.size());
    if (inserted) {
      members.emplace_back();
      data.group_ids.push_back(examples[i].request_id);
    }
    members[it->second].push_back(i);
  }
  data.features.reserve(examples.size() * data.num_features());
  data.labels.reserve(examples.size());
  for (const std::vector<size_t>& rows : members) {
    data.group_sizes.push_back(static_cast<uint32_t>(rows.size()));
    for (size_t row : rows) {
      const RankingExample& e = examples[row];
      data.features.insert(data.features.end(), e.features.begin(), e.features.end());
      data.labels.push_back(static_cast<float>(e.label));
    }
  }
  return data;
}

absl::StatusOr<RankingDataset> ReadRankingExamples(std::istream& in,
                                                   absl::string_view source) {
  std::vector<RankingExample> examples;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<RankingExample> e =
        ParseLine(line, absl::StrCat(source, ":", number, ": "));
    if (!e.ok()) return e.status();
    examples.push_back(*std::move(e));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(source, ": read error"));
  return BuildRankingDataset(std::move(examples));
}

absl::StatusOr<RankingDataset> ReadRankingExamplesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read examples file ", path));
  return ReadRankingExamples(in, path);
}

std::string RankingExampleJson(const RankingExample& example) {
  nlohmann::json features = nlohmann::json::object();
  const std::vector<std::string>& names = ranking::RankingFeatureNames();
  for (size_t i = 0; i < names.size() && i < example.features.size(); ++i) {
    features[names[i]] = example.features[i];
  }
  nlohmann::json j = {{"request_id", example.request_id},
                      {"features", std::move(features)},
                      {"label", example.label}};
  return j.dump();
}

std::vector<RankingExample> SyntheticRankingExamples(int groups, int per_group,
                                                     int signal_feature, double noise,
                                                     uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<RankingExample> examples;
  examples.reserve(static_cast<size_t>(groups) * per_group);
  for (int g = 0; g < groups; ++g) {
    for (int i = 0; i < per_group; ++i) {
      RankingExample e;
      e.request_id = absl::StrCat("r", g);
      e.features.resize(ranking::NumRankingFeatures());
      for (float& f : e.features) f = uniform(rng);
      // Higher labels rarer, as purchases are rarer than clicks.
      const float signal = e.features[signal_feature];
      e.label = signal < 0.6f ? 0 : signal < 0.8f ? 1 : signal < 0.93f ? 2 : 3;
      if (uniform(rng) < noise) e.label = static_cast<int>(uniform(rng) * 4) % 4;
      examples.push_back(std::move(e));
    }
  }
  return examples;
}

}  // namespace zhongcao::rank_train
