// Places a log's timestamps on the service's clock: Unix milliseconds, with
// the latest event shortly before the evaluation runs, so that the
// service's time-decayed signals (trending, session, freshness) see the log
// as recent. Order and gaps are kept; sequence positions (Amazon Beauty has
// no times) become one minute apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::evaluate {

enum class TimeUnit { kMilliseconds, kSeconds, kPositions };

absl::StatusOr<TimeUnit> ParseTimeUnit(absl::string_view name);  // ms, s, position
std::string TimeUnitName(TimeUnit unit);

class Timeline {
 public:
  static constexpr int64_t kMsPerPosition = 60'000;

  // The latest of `events` maps to `end_ms`.
  static Timeline Fit(std::span<const train::Interaction> events, TimeUnit unit,
                      int64_t end_ms);

  int64_t ToMs(int64_t timestamp) const;
  int64_t start_ms() const { return start_ms_; }  // the earliest event's

 private:
  int64_t scale_ = 1;
  int64_t shift_ = 0;
  int64_t start_ms_ = 0;
};

}  // namespace zhongcao::evaluate
