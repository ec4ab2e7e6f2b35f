#include "tools/evaluate/timeline.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace zhongcao::evaluate {

absl::StatusOr<TimeUnit> ParseTimeUnit(absl::string_view name) {
  if (name == "ms") return TimeUnit::kMilliseconds;
  if (name == "s") return TimeUnit::kSeconds;
  if (name == "position") return TimeUnit::kPositions;
  return absl::InvalidArgumentError(
      absl::StrCat("--time_unit: '", name, "', expected ms, s or position"));
}

std::string TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMilliseconds:
      return "ms";
    case TimeUnit::kSeconds:
      return "s";
    case TimeUnit::kPositions:
      return "position";
  }
  return "?";
}

Timeline Timeline::Fit(std::span<const train::Interaction> events, TimeUnit unit,
                       int64_t end_ms) {
  Timeline t;
  t.scale_ = unit == TimeUnit::kSeconds     ? 1000
             : unit == TimeUnit::kPositions ? kMsPerPosition
                                            : 1;
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  for (const train::Interaction& e : events) {
    lo = std::min(lo, e.timestamp);
    hi = std::max(hi, e.timestamp);
  }
  if (events.empty()) lo = hi = 0;
  t.shift_ = end_ms - hi * t.scale_;
  // The service refuses negative times: a log longer than the epoch is
  // squeezed at its old end rather than refused.
  t.start_ms_ = std::max<int64_t>(0, lo * t.scale_ + t.shift_);
  return t;
}

int64_t Timeline::ToMs(int64_t timestamp) const {
  return std::max<int64_t>(0, timestamp * scale_ + shift_);
}

}  // namespace zhongcao::evaluate
