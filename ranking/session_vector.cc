#include "ranking/session_vector.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace zhongcao::ranking {
namespace {

// The events of the window, newest first.
template <typename Fn>
void ForNewestEvents(const store::UserHistory& history, int max_events, Fn fn) {
  const int n = history.events_size();
  const int first = max_events >= n ? 0 : n - std::max(max_events, 0);
  for (int i = n - 1; i >= first; --i) fn(history.events(i));
}

}  // namespace

double SessionEventWeight(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_CLICK:
    case v1::EVENT_TYPE_DWELL:
    case v1::EVENT_TYPE_FOLLOW:  // interest in the creator, hence the item
      return 1;
    case v1::EVENT_TYPE_LIKE:
    case v1::EVENT_TYPE_COMMENT:
      return 2;
    case v1::EVENT_TYPE_SAVE:
    case v1::EVENT_TYPE_SHARE:
      return 3;
    case v1::EVENT_TYPE_ADD_TO_CART:
      return 5;
    case v1::EVENT_TYPE_PURCHASE:
      return 8;
    default:  // an impression is not a choice
      return 0;
  }
}

std::vector<std::string> SessionItemIds(const store::UserHistory& history,
                                        int max_events) {
  std::vector<std::string> ids;
  absl::flat_hash_set<std::string> distinct;
  ForNewestEvents(history, max_events, [&](const store::RecentEvent& event) {
    if (distinct.insert(event.item_id()).second) ids.push_back(event.item_id());
  });
  return ids;
}

SessionVector BuildSessionVector(const store::UserHistory& history,
                                 std::span<const std::string> ids,
                                 std::span<const std::vector<float>> vectors,
                                 int64_t now_ms, double half_life_minutes, int max_events,
                                 double position_decay) {
  absl::flat_hash_map<std::string_view, const std::vector<float>*> by_id;
  size_t dim = 0;
  for (size_t i = 0; i < ids.size() && i < vectors.size(); ++i) {
    if (vectors[i].empty()) continue;
    if (dim == 0) dim = vectors[i].size();
    if (vectors[i].size() != dim) continue;
    by_id.emplace(ids[i], &vectors[i]);
  }
  SessionVector out;
  if (dim == 0) return out;

  std::vector<double> sum(dim, 0.0);
  // Per contributing item: its position in out.items and strongest weight.
  absl::flat_hash_map<std::string, std::pair<size_t, double>> strongest;
  const double half_life_ms = half_life_minutes * 60'000.0;
  ForNewestEvents(history, max_events, [&](const store::RecentEvent& event) {
    const double type_weight = SessionEventWeight(event.type());
    auto item = by_id.find(event.item_id());
    if (type_weight <= 0 || item == by_id.end()) return;
    // The item's position among the contributing items, newest first: the
    // one it has already, or the next.
    auto known = strongest.find(event.item_id());
    const size_t position =
        known != strongest.end() ? known->second.first : out.items.size();
    double weight = type_weight;
    if (position_decay != 1.0) weight *= std::pow(position_decay, position);
    if (half_life_ms > 0) {
      // An event stamped after `now` (clock skew) counts as happening now.
      const double age_ms =
          static_cast<double>(std::max<int64_t>(0, now_ms - event.timestamp_ms()));
      weight *= std::exp2(-age_ms / half_life_ms);
    }
    const std::vector<float>& embedding = *item->second;
    for (size_t d = 0; d < dim; ++d) sum[d] += weight * embedding[d];
    auto [it, first] =
        strongest.try_emplace(event.item_id(), out.items.size(), type_weight);
    if (first) {
      out.items.emplace_back(event.item_id(), event.type());
    } else if (type_weight > it->second.second) {
      it->second.second = type_weight;
      out.items[it->second.first].second = event.type();
    }
  });
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  // Nothing contributed, every weight decayed to nothing, or the embeddings
  // cancelled out: there is no direction to search in.
  if (!(norm > 0) || !std::isfinite(norm)) return SessionVector();
  out.vector.resize(dim);
  for (size_t d = 0; d < dim; ++d) out.vector[d] = static_cast<float>(sum[d] / norm);
  return out;
}

}  // namespace zhongcao::ranking
