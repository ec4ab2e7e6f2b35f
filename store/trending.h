// Trending scores: time-decayed engagement kept in log space ("forward
// decay"), and the in-memory board of one region's best items.
//
// An item's stored trend value is log(sum_i w_i * exp(t_i / tau)) over its
// events (weight w_i at time t_i ms). Adding an event is a log-sum-exp, so
// RocksDB merges it without a read and nothing overflows; the score at time
// t is exp(value - t / tau). Since t / tau is the same for every item,
// ranking by value is ranking by current score, at any time.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::store {

// How much one event of `type` adds to its item's trend; 0 for events that
// show no interest (impressions) or are unknown.
double TrendWeight(v1::EventType type);

// log(exp(a) + exp(b)), exact for arguments far apart and free of overflow.
double LogAddExp(double a, double b);

// The trend value of an event of weight `weight` (> 0) at `timestamp_ms`.
double TrendValueOfEvent(double weight, int64_t timestamp_ms, int64_t tau_ms);
// The decayed score of a trend value at `now_ms`.
double TrendScore(double value, int64_t now_ms, int64_t tau_ms);

// Eight bytes, the IEEE-754 bits of `value`.
std::string EncodeTrendValue(double value);
// False when `bytes` is not eight bytes long.
bool DecodeTrendValue(absl::string_view bytes, double* value);

// A board as its readers take it: the items best first with their raw trend
// values, and each one's score as a share of the best one's, in (0, 1].
// Shares do not depend on the time, and stay finite where scores overflow
// (seen from long before the events). Immutable, so that every request
// shares one until the board changes, rather than copying it.
struct TrendSnapshot {
  std::vector<std::pair<std::string, double>> top;
  absl::flat_hash_map<std::string, float> shares;

  // 0 for an item not on the board.
  float Share(absl::string_view item_id) const {
    auto it = shares.find(item_id);
    return it == shares.end() ? 0.0f : it->second;
  }
};

// The best `capacity` items of one region by trend value, so that reading
// "top trending" is a copy of a few hundred entries, not a scan. It stays
// exact under offers of growing values: an item is on the board only if no
// item left off it has a larger value. Not thread-safe; the store guards it.
class TrendingBoard {
 public:
  explicit TrendingBoard(int capacity) : capacity_(capacity) {}

  // Tells the board that `item_id` now has trend `value` (its whole value,
  // not an increment). A value below the one on the board is ignored: values
  // only grow, so a lower one is a stale read.
  void Offer(absl::string_view item_id, double value);
  // Whether an offer of `item_id` at a value of at most `value_at_most`
  // could change the board: the item is on it, or such a value would be
  // taken. A false answer stays false until Remove, as the floor and the
  // last item's value only grow.
  bool MightTake(absl::string_view item_id, double value_at_most) const;
  // Takes an item off the board (it was deleted). Its place stays empty
  // until an item offered later beats every item ever left off.
  void Remove(absl::string_view item_id);
  // The best `limit` items, best first (ties by id), with their values.
  std::vector<std::pair<std::string, double>> Top(int limit) const;
  // The whole board, built on the first call after a change and shared by
  // the calls up to the next one. Safe to call concurrently with itself,
  // not with Offer or Remove.
  std::shared_ptr<const TrendSnapshot> Snapshot() const;
  size_t size() const { return values_.size(); }

 private:
  struct BestFirst {
    bool operator()(const std::pair<double, std::string>& a,
                    const std::pair<double, std::string>& b) const {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    }
  };
  void LeaveOff(double value) { floor_ = std::max(floor_, value); }
  void Changed();

  // Behind a pointer so that the board stays movable.
  struct SnapshotCache {
    absl::Mutex mu;
    std::shared_ptr<const TrendSnapshot> snapshot ABSL_GUARDED_BY(mu);
  };

  int capacity_;
  // No item left off the board has a larger value than this.
  double floor_ = -std::numeric_limits<double>::infinity();
  absl::flat_hash_map<std::string, double> values_;
  std::set<std::pair<double, std::string>, BestFirst> order_;
  std::unique_ptr<SnapshotCache> cache_ = std::make_unique<SnapshotCache>();
};

}  // namespace zhongcao::store
