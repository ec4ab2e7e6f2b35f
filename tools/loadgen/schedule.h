// The open-loop arrival schedule: request i is due at start + i / rate, and
// its latency counts from then, not from when it was sent, so time a request
// spends waiting behind a slow one is measured (no coordinated omission).
#pragma once

#include <cstdint>

namespace zhongcao::loadgen {

class OpenLoopSchedule {
 public:
  // `rate` requests per second, > 0.
  explicit OpenLoopSchedule(double rate) : rate_(rate) {}

  // When request i is due, in ns after the start. Computed from i rather
  // than by adding a period, so rounding never accumulates into drift.
  int64_t OffsetNs(int64_t i) const;

  // How many requests are due in [0, span_ns).
  int64_t CountWithin(int64_t span_ns) const;

  double rate() const { return rate_; }

 private:
  double rate_;
};

}  // namespace zhongcao::loadgen
