// A/B experiments: each splits users into arms by a hash of the user id and
// the experiment's salt, and an arm overrides feed settings by name. A user
// stays in one arm for as long as the experiment's salt and arms are
// unchanged; a harness may force an arm per request. An interleaved
// experiment instead serves both of its two arms to every user, merged
// into one response by team-draft (see interleaving.h).
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
  // Both arms in every response, each item attributed to one; exactly two
  // arms, whose weights are unused. At most one experiment is interleaved.
  bool interleaved = false;
};

struct ArmChoice {
  std::string experiment;
  std::string arm;
  bool forced = false;
  // The interleaved experiment, not forced: `arm` is empty, and neither
  // arm's overrides were applied (the caller ranks with each).
  bool interleaved = false;
};

class Experiments {
 public:
  // Checks names (unique, non-empty), weights (positive), every override
  // (a known setting, a value in range), and interleaving (two arms, at most
  // one such experiment).
  static absl::StatusOr<Experiments> Create(std::vector<Experiment> experiments);
  Experiments() = default;

  // The arm of `user_id` in each experiment, `forced` (experiment -> arm)
  // taking precedence, with their overrides applied to `settings` in
  // experiment order. INVALID_ARGUMENT naming force_arms[...] for an unknown
  // experiment or arm. A forced arm of the interleaved experiment is served
  // alone, like a split arm.
  absl::StatusOr<std::vector<ArmChoice>> Assign(
      absl::string_view user_id,
      const google::protobuf::Map<std::string, std::string>& forced,
      FeedSettings* settings) const;

  // The arm index a user falls into, from the hash alone.
  static size_t Bucket(const Experiment& experiment, absl::string_view user_id);

  // The experiment of an `interleaved` choice, or null when none is.
  const Experiment* Interleaving(const std::vector<ArmChoice>& choices) const;
  // Applies `arm`'s overrides (checked in Create) to `settings`.
  static void Apply(const ExperimentArm& arm, FeedSettings* settings);

  const std::vector<Experiment>& experiments() const { return experiments_; }

 private:
  std::vector<Experiment> experiments_;
};

}  // namespace zhongcao::ranking
