// Credits outcomes to experiment arms from the exposure log: for an
// interleaved experiment, each request is won by the arm whose items drew
// more outcomes (team-draft credit), and the wins give a sign test and a
// preference with its 95% interval; for split experiments, outcomes are
// summed per arm. Outcomes join exposures on (request id, item id). For
// offline evaluators and harnesses; knows nothing of gRPC.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

struct CreditOptions {
  // What an event of each type is worth as an outcome (by v1::EventType);
  // absent types are worth 0. The default: every type but an impression
  // is worth 1.
  absl::flat_hash_map<int, double> weights = DefaultOutcomeWeights();

  static absl::flat_hash_map<int, double> DefaultOutcomeWeights();
};

struct InterleavingCredit {
  std::string experiment;
  // The two arms, in name order (exposures do not say which is the
  // control); arm_b is empty when only one arm was ever attributed.
  std::string arm_a;
  std::string arm_b;
  int64_t requests = 0;               // interleaved responses
  int64_t requests_with_outcome = 0;  // of those, any outcome credited
  // Among requests with outcomes: more credit to A's items, to B's, equal.
  int64_t wins_a = 0;
  int64_t wins_b = 0;
  int64_t ties = 0;
  // Two-sided exact sign test of wins_a against wins_b (ties left out).
  double p_value = 1;
  // wins_a / (wins_a + wins_b), 0.5 without wins, and its Wilson 95%
  // interval: above 0.5 means users preferred A.
  double preference_a = 0.5;
  double ci95_low = 0;
  double ci95_high = 1;
};

struct SplitArmCredit {
  std::string experiment;
  std::string arm;
  int64_t requests = 0;
  int64_t items = 0;                  // items served
  int64_t requests_with_outcome = 0;  // requests with any outcome
  double outcomes = 0;                // credited outcome weight
  // Outcome weight per request, with a normal-approximation 95% interval.
  double per_request = 0;
  double ci95_low = 0;
  double ci95_high = 0;
};

struct CreditReport {
  std::vector<InterleavingCredit> interleaved;  // by experiment name
  std::vector<SplitArmCredit> split;            // by experiment, then arm name
  // Outcomes naming a request id and item that no given exposure served.
  int64_t unmatched_outcomes = 0;
};

// Every exposure (one logged response) counts once per experiment it names;
// an interleaved response also counts for the split experiments it names.
// An outcome counts each time it occurs (two clicks, two outcomes).
CreditReport CreditOutcomes(std::span<const v1::Exposure> exposures,
                            std::span<const v1::Event> outcomes,
                            const CreditOptions& options = {});

// The two-sided exact binomial test of k successes in n trials at p = 1/2.
double SignTestPValue(int64_t k, int64_t n);
// Wilson's 95% score interval of the proportion k / n; (0, 1) for n = 0.
std::pair<double, double> Wilson95(int64_t k, int64_t n);

}  // namespace zhongcao::ranking
