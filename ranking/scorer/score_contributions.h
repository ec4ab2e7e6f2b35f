// The named parts of a served item's score, for its explanation. Scorers
// record only how they scored (Candidate::scored_by and features); the
// parts are named here, for the ~20 items a response carries rather than
// for every candidate scored.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ranking/candidate.h"
#include "ranking/feed_settings.h"

namespace zhongcao::ranking {

// The weighted sum's non-zero parts (weight times feature, by feature
// name), or a model's output ("model") and the non-zero features it saw
// ("feature:<name>"), then the parts added after scoring. `weights` must be
// those `c` was scored with. For the weighted sum the scorer's parts add
// up to scorer_score.
std::vector<std::pair<std::string, float>> ScoreContributions(
    const Candidate& c, const ScoringWeights& weights);

}  // namespace zhongcao::ranking
