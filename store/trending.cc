#include "store/trending.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "store/keys.h"

namespace zhongcao::store {

double TrendWeight(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_CLICK:
    case v1::EVENT_TYPE_DWELL:
    case v1::EVENT_TYPE_FOLLOW:
      return 1;
    case v1::EVENT_TYPE_LIKE:
    case v1::EVENT_TYPE_COMMENT:
      return 2;
    case v1::EVENT_TYPE_SAVE:
    case v1::EVENT_TYPE_SHARE:
      return 3;
    case v1::EVENT_TYPE_ADD_TO_CART:
      return 4;
    case v1::EVENT_TYPE_PURCHASE:
      return 6;
    default:  // impressions say nothing about interest
      return 0;
  }
}

double LogAddExp(double a, double b) {
  if (a < b) std::swap(a, b);
  if (std::isinf(b) && b < 0) return a;
  return a + std::log1p(std::exp(b - a));
}

double TrendValueOfEvent(double weight, int64_t timestamp_ms, int64_t tau_ms) {
  return std::log(weight) +
         static_cast<double>(timestamp_ms) / static_cast<double>(tau_ms);
}

double TrendScore(double value, int64_t now_ms, int64_t tau_ms) {
  return std::exp(value - static_cast<double>(now_ms) / static_cast<double>(tau_ms));
}

std::string EncodeTrendValue(double value) {
  return EncodeUint64(std::bit_cast<uint64_t>(value));
}

bool DecodeTrendValue(absl::string_view bytes, double* value) {
  if (bytes.size() != 8) return false;
  *value = std::bit_cast<double>(DecodeUint64(bytes));
  return true;
}

void TrendingBoard::Offer(absl::string_view item_id, double value) {
  if (capacity_ <= 0) return;
  if (auto it = values_.find(item_id); it != values_.end()) {
    if (value <= it->second) return;
    order_.erase({it->second, it->first});
    it->second = value;
    order_.emplace(value, it->first);
    Changed();
    return;
  }
  // An item left off earlier may have a larger value than this one; taking
  // this one would make the board claim a rank it cannot vouch for.
  if (value <= floor_) return;
  if (static_cast<int>(values_.size()) < capacity_) {
    values_.emplace(item_id, value);
    order_.emplace(value, std::string(item_id));
    Changed();
    return;
  }
  auto worst = std::prev(order_.end());
  if (!BestFirst()({value, std::string(item_id)}, *worst)) {
    LeaveOff(value);
    return;
  }
  LeaveOff(worst->first);
  values_.erase(worst->second);
  order_.erase(worst);
  values_.emplace(item_id, value);
  order_.emplace(value, std::string(item_id));
  Changed();
}

bool TrendingBoard::MightTake(absl::string_view item_id, double value_at_most) const {
  if (capacity_ <= 0) return false;
  if (values_.contains(item_id)) return true;
  if (value_at_most <= floor_) return false;
  if (static_cast<int>(values_.size()) < capacity_) return true;
  // Ties go by id, so a value equal to the last item's may still win.
  return value_at_most >= std::prev(order_.end())->first;
}

void TrendingBoard::Remove(absl::string_view item_id) {
  auto it = values_.find(item_id);
  if (it == values_.end()) return;
  order_.erase({it->second, it->first});
  values_.erase(it);
  Changed();
}

std::vector<std::pair<std::string, double>> TrendingBoard::Top(int limit) const {
  std::vector<std::pair<std::string, double>> out;
  if (limit <= 0) return out;
  out.reserve(std::min<size_t>(limit, order_.size()));
  for (const auto& [value, id] : order_) {
    if (static_cast<int>(out.size()) >= limit) break;
    out.emplace_back(id, value);
  }
  return out;
}

std::shared_ptr<const TrendSnapshot> TrendingBoard::Snapshot() const {
  absl::MutexLock lock(&cache_->mu);
  if (cache_->snapshot == nullptr) {
    auto snapshot = std::make_shared<TrendSnapshot>();
    snapshot->top = Top(capacity_);
    snapshot->shares.reserve(snapshot->top.size());
    if (!snapshot->top.empty()) {
      // score_i / score_best = exp(value_i - value_best) at any time.
      const double best = snapshot->top.front().second;
      for (const auto& [id, value] : snapshot->top) {
        snapshot->shares.emplace(id, static_cast<float>(std::exp(value - best)));
      }
    }
    cache_->snapshot = std::move(snapshot);
  }
  return cache_->snapshot;
}

void TrendingBoard::Changed() {
  absl::MutexLock lock(&cache_->mu);
  cache_->snapshot.reset();
}

}  // namespace zhongcao::store
