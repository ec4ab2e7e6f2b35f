#include "store/trend_bound.h"

#include <limits>

#include "absl/hash/hash.h"
#include "store/trending.h"

namespace zhongcao::store {
namespace {

// The merge operator sums a row's operands in another order than the
// bucket does. Each sum is off by a few units in the last place of values
// near now / tau (~1e4), ~1e-12; the bound is raised by far more than a
// billion of them add up to.
constexpr double kSlack = 1e-3;

}  // namespace

TrendBound::TrendBound(int log2_buckets)
    : mask_((size_t{1} << log2_buckets) - 1),
      buckets_(new std::atomic<double>[mask_ + 1]) {
  for (size_t i = 0; i <= mask_; ++i) {
    buckets_[i].store(-std::numeric_limits<double>::infinity(),
                      std::memory_order_relaxed);
  }
}

size_t TrendBound::Bucket(absl::string_view key) const {
  return absl::HashOf(key) & mask_;
}

double TrendBound::Add(absl::string_view key, double value) {
  std::atomic<double>& bucket = buckets_[Bucket(key)];
  double old = bucket.load(std::memory_order_relaxed);
  double sum;
  do {
    sum = LogAddExp(old, value);
  } while (!bucket.compare_exchange_weak(old, sum, std::memory_order_acq_rel,
                                         std::memory_order_relaxed));
  return sum + kSlack;
}

double TrendBound::Bound(absl::string_view key) const {
  return buckets_[Bucket(key)].load(std::memory_order_acquire) + kSlack;
}

}  // namespace zhongcao::store
