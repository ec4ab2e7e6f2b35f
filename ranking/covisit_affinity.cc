#include "ranking/covisit_affinity.h"

#include <algorithm>
#include <cmath>

#include "store/trending.h"

namespace zhongcao::ranking {

std::vector<std::pair<std::string, double>> CovisitAffinity::Best(size_t limit) const {
  // Sorts pointers to the entries and copies only the ids kept: a row
  // combination holds thousands of ids, and a source keeps a few hundred.
  using Entry = std::pair<const std::string, double>;
  std::vector<const Entry*> entries;
  entries.reserve(scores.size());
  for (const Entry& entry : scores) entries.push_back(&entry);
  const size_t keep = std::min(limit, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + keep, entries.end(),
                    [](const Entry* a, const Entry* b) {
                      return a->second != b->second ? a->second > b->second
                                                    : a->first < b->first;
                    });
  std::vector<std::pair<std::string, double>> best;
  best.reserve(keep);
  for (size_t i = 0; i < keep; ++i)
    best.emplace_back(entries[i]->first, entries[i]->second);
  return best;
}

std::vector<std::string> CovisitSeeds(const store::UserHistory& history, int limit) {
  std::vector<std::string> seeds;
  absl::flat_hash_set<std::string> distinct;
  for (int i = history.events_size() - 1;
       i >= 0 && static_cast<int>(seeds.size()) < limit; --i) {
    const store::RecentEvent& event = history.events(i);
    // The store pairs the same events (store/covisit.h).
    if (store::TrendWeight(event.type()) <= 0) continue;
    if (distinct.insert(event.item_id()).second) seeds.push_back(event.item_id());
  }
  return seeds;
}

CovisitAffinity CombineCovisitRows(std::span<const store::CovisitRow> rows,
                                   const CovisitSettings& settings,
                                   const absl::flat_hash_set<std::string>& exclude) {
  CovisitAffinity affinity;
  double seed_weight = 1;
  for (const store::CovisitRow& row : rows) {
    if (row.total > 0) {
      const double scale = seed_weight / std::pow(row.total, settings.normalize);
      for (const auto& [id, weight] : row.neighbors) {
        if (exclude.contains(id)) continue;
        affinity.scores[id] += scale * weight;
      }
    }
    seed_weight *= settings.seed_decay;
  }
  for (const auto& [id, score] : affinity.scores) {
    affinity.max = std::max(affinity.max, score);
  }
  return affinity;
}

absl::StatusOr<CovisitAffinity> ComputeCovisitAffinity(
    const store::FeatureStore& store, const store::UserHistory& history,
    const CovisitSettings& settings, int64_t now_ms,
    const absl::flat_hash_set<std::string>& exclude) {
  const std::vector<std::string> seeds = CovisitSeeds(history, settings.seed_items);
  if (seeds.empty()) return CovisitAffinity();
  absl::StatusOr<std::vector<store::CovisitRow>> rows = store.ReadCovisit(seeds, now_ms);
  if (!rows.ok()) return rows.status();
  return CombineCovisitRows(*rows, settings, exclude);
}

}  // namespace zhongcao::ranking
