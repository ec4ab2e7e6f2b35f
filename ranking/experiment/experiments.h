// A/B experiments: each splits users into arms by a hash of the user id and
// the experiment's salt, and an arm overrides feed settings by name. A user
// stays in one arm for as long as the experiment's salt and arms are
// unchanged; a harness may force an arm per request.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "ranking/feed_settings.h"

namespace zhongcao::ranking {

struct ExperimentArm {
  std::string name;
  int weight = 1;  // share of traffic, relative to the other arms
  // Settings this arm changes, by FeedSettings name ("rerank.mmr_lambda").
  std::vector<std::pair<std::string, double>> overrides;
};

struct Experiment {
  std::string name;
  std::string salt;  // change it to reshuffle users
  std::vector<ExperimentArm> arms;
};

struct ArmChoice {
  std::string experiment;
  std::string arm;
  bool forced = false;
};

class Experiments {
 public:
  // Checks names (unique, non-empty), weights (positive) and every override
  // (a known setting, a value in range).
  static absl::StatusOr<Experiments> Create(std::vector<Experiment> experiments);
  Experiments() = default;

  // The arm of `user_id` in each experiment, `forced` (experiment -> arm)
  // taking precedence, with their overrides applied to `settings` in
  // experiment order. INVALID_ARGUMENT naming force_arms[...] for an unknown
  // experiment or arm.
  absl::StatusOr<std::vector<ArmChoice>> Assign(
      absl::string_view user_id,
      const google::protobuf::Map<std::string, std::string>& forced,
      FeedSettings* settings) const;

  // The arm index a user falls into, from the hash alone.
  static size_t Bucket(const Experiment& experiment, absl::string_view user_id);

  const std::vector<Experiment>& experiments() const { return experiments_; }

 private:
  std::vector<Experiment> experiments_;
};

}  // namespace zhongcao::ranking
