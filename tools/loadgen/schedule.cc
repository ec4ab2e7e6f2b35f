#include "tools/loadgen/schedule.h"

#include <cmath>

namespace zhongcao::loadgen {

int64_t OpenLoopSchedule::OffsetNs(int64_t i) const {
  return std::llround(static_cast<double>(i) * 1e9 / rate_);
}

int64_t OpenLoopSchedule::CountWithin(int64_t span_ns) const {
  if (span_ns <= 0) return 0;
  // A first guess from the rate, then exact against OffsetNs's rounding.
  int64_t n = static_cast<int64_t>(std::ceil(static_cast<double>(span_ns) * rate_ / 1e9));
  while (n > 0 && OffsetNs(n - 1) >= span_ns) --n;
  while (OffsetNs(n) < span_ns) ++n;
  return n;
}

}  // namespace zhongcao::loadgen
