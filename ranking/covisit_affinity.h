// Co-occurrence affinity of items to one user's latest items, computed once
// per request from the store's co-visitation rows: the "covisit" source's
// candidates and the scorer's covisit feature for every candidate.
//
//   score(j) = sum over seeds i of seed_decay^p(i) * w(i -> j) / total_i^normalize
//
// where p(i) is the seed's position among the user's newest distinct items
// (newest 0), w the row's decayed weight and total_i the row's total.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ranking/feed_settings.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

struct CovisitAffinity {
  absl::flat_hash_map<std::string, double> scores;
  double max = 0;  // the largest score

  // The covisit feature: the item's score as a share of the largest, in
  // [0, 1]; 0 for an item no seed row names.
  float Feature(const std::string& item_id) const {
    if (max <= 0) return 0;
    auto it = scores.find(item_id);
    return it == scores.end() ? 0.0f : static_cast<float>(it->second / max);
  }
  // The items by score, best first (ties by id), at most `limit`.
  std::vector<std::pair<std::string, double>> Best(size_t limit) const;
};

// The user's newest distinct items that weigh something (not impressions),
// newest first, at most `limit`.
std::vector<std::string> CovisitSeeds(const store::UserHistory& history, int limit);

// The affinity from the seeds' rows (aligned with `seeds`, newest first);
// items in `exclude` (e.g. those the user has seen) get no score.
CovisitAffinity CombineCovisitRows(std::span<const store::CovisitRow> rows,
                                   const CovisitSettings& settings,
                                   const absl::flat_hash_set<std::string>& exclude);

// Seeds from the history, their rows in one read, combined.
absl::StatusOr<CovisitAffinity> ComputeCovisitAffinity(
    const store::FeatureStore& store, const store::UserHistory& history,
    const CovisitSettings& settings, int64_t now_ms,
    const absl::flat_hash_set<std::string>& exclude);

}  // namespace zhongcao::ranking
