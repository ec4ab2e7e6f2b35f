#include "ranking/experiment/experiments.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "xxhash.h"

namespace zhongcao::ranking {

absl::StatusOr<Experiments> Experiments::Create(std::vector<Experiment> experiments) {
  absl::flat_hash_set<std::string> names;
  std::string interleaved;  // the name of the one interleaved experiment
  for (size_t e = 0; e < experiments.size(); ++e) {
    const Experiment& experiment = experiments[e];
    const std::string where = absl::StrCat("experiments[", e, "]");
    if (experiment.name.empty() || !names.insert(experiment.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".name: empty or used twice: \"", experiment.name, "\""));
    }
    if (experiment.arms.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".arms: none"));
    }
    if (experiment.interleaved) {
      if (experiment.arms.size() != 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".arms: an interleaved experiment has exactly two, not ",
                         experiment.arms.size()));
      }
      if (!interleaved.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".interleaved: only one experiment may be; \"",
                         interleaved, "\" already is"));
      }
      interleaved = experiment.name;
    }
    absl::flat_hash_set<std::string> arm_names;
    for (size_t a = 0; a < experiment.arms.size(); ++a) {
      const ExperimentArm& arm = experiment.arms[a];
      const std::string at = absl::StrCat(where, ".arms[", a, "]");
      if (arm.name.empty() || !arm_names.insert(arm.name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".name: empty or used twice: \"", arm.name, "\""));
      }
      if (arm.weight <= 0) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".weight: must be positive"));
      }
      FeedSettings scratch;
      for (const auto& [name, value] : arm.overrides) {
        if (absl::Status s = SetFeedSetting(name, value, &scratch); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(at, ".settings.", s.message()));
        }
      }
    }
  }
  Experiments result;
  result.experiments_ = std::move(experiments);
  return result;
}

size_t Experiments::Bucket(const Experiment& experiment, absl::string_view user_id) {
  int total = 0;
  for (const ExperimentArm& arm : experiment.arms) total += arm.weight;
  const std::string key = absl::StrCat(experiment.salt, ":", user_id);
  uint64_t point = XXH64(key.data(), key.size(), 0) % static_cast<uint64_t>(total);
  for (size_t a = 0; a < experiment.arms.size(); ++a) {
    if (point < static_cast<uint64_t>(experiment.arms[a].weight)) return a;
    point -= experiment.arms[a].weight;
  }
  return experiment.arms.size() - 1;
}

absl::StatusOr<std::vector<ArmChoice>> Experiments::Assign(
    absl::string_view user_id,
    const google::protobuf::Map<std::string, std::string>& forced,
    FeedSettings* settings) const {
  for (const auto& [experiment, arm] : forced) {
    bool known = false;
    for (const Experiment& e : experiments_) {
      if (e.name != experiment) continue;
      for (const ExperimentArm& a : e.arms) known |= a.name == arm;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat("force_arms[\"", experiment,
                                                     "\"]: no arm \"", arm,
                                                     "\" in such an experiment"));
    }
  }
  std::vector<ArmChoice> choices;
  for (const Experiment& experiment : experiments_) {
    size_t chosen = Bucket(experiment, user_id);
    bool was_forced = false;
    if (auto it = forced.find(experiment.name); it != forced.end()) {
      for (size_t a = 0; a < experiment.arms.size(); ++a) {
        if (experiment.arms[a].name == it->second) chosen = a;
      }
      was_forced = true;
    }
    if (experiment.interleaved && !was_forced) {
      choices.push_back({experiment.name, "", false, true});
      continue;
    }
    const ExperimentArm& arm = experiment.arms[chosen];
    Apply(arm, settings);
    choices.push_back({experiment.name, arm.name, was_forced});
  }
  return choices;
}

const Experiment* Experiments::Interleaving(const std::vector<ArmChoice>& choices) const {
  for (const ArmChoice& choice : choices) {
    if (!choice.interleaved) continue;
    for (const Experiment& e : experiments_) {
      if (e.name == choice.experiment) return &e;
    }
  }
  return nullptr;
}

void Experiments::Apply(const ExperimentArm& arm, FeedSettings* settings) {
  for (const auto& [name, value] : arm.overrides) {
    // Checked in Create, so this cannot fail.
    (void)SetFeedSetting(name, value, settings);
  }
}

}  // namespace zhongcao::ranking
