#include "tools/loadgen/stats.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"

namespace zhongcao::loadgen {
namespace {

constexpr double kNsPerMs = 1e6;

// Adds records to one CallStats, keeping OK latencies for the percentiles.
struct Accumulator {
  CallStats stats;
  std::vector<int64_t> latencies;

  void Add(const CallRecord& record) {
    ++stats.requests;
    if (record.code == 0) {
      ++stats.ok;
      latencies.push_back(record.latency_ns);
      return;
    }
    ++stats.errors;
    if (record.code == kDroppedCode) ++stats.dropped;
    ++stats.errors_by_code[CodeName(record.code)];
  }

  CallStats Finish(double seconds) {
    stats.rate = seconds > 0 ? static_cast<double>(stats.ok) / seconds : 0;
    stats.latency = SummarizeLatencies(std::move(latencies));
    return std::move(stats);
  }
};

}  // namespace

std::string CodeName(int code) {
  if (code == kDroppedCode) return "DROPPED";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

int64_t PercentileOfSorted(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  // The tolerance keeps e.g. 99.9% of 1000 at rank 999 although
  // 0.999 * 1000 is 999.0000000000001 in binary floating point.
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

LatencySummary SummarizeLatencies(std::vector<int64_t> latencies_ns) {
  LatencySummary summary;
  if (latencies_ns.empty()) return summary;
  std::sort(latencies_ns.begin(), latencies_ns.end());
  summary.count = static_cast<int64_t>(latencies_ns.size());
  double sum = 0;
  for (int64_t ns : latencies_ns) sum += static_cast<double>(ns);
  summary.mean_ms = sum / static_cast<double>(summary.count) / kNsPerMs;
  const auto ms = [&](double p) {
    return static_cast<double>(PercentileOfSorted(latencies_ns, p)) / kNsPerMs;
  };
  summary.p50_ms = ms(50);
  summary.p90_ms = ms(90);
  summary.p99_ms = ms(99);
  summary.p999_ms = ms(99.9);
  summary.max_ms = static_cast<double>(latencies_ns.back()) / kNsPerMs;
  return summary;
}

Report Summarize(const std::vector<CallRecord>& records, const SummaryOptions& options) {
  Report report;
  report.measured_seconds = static_cast<double>(options.duration_ns) / 1e9;
  const int64_t end_ns = options.warmup_ns + options.duration_ns;

  std::vector<Accumulator> by_type(kCallTypeCount);
  Accumulator overall;
  std::vector<int64_t> send_lags;
  for (const CallRecord& record : records) {
    if (record.start_ns < options.warmup_ns || record.start_ns >= end_ns) {
      ++report.warmup_requests;
      continue;
    }
    by_type[static_cast<int>(record.type)].Add(record);
    overall.Add(record);
    if (record.code != kDroppedCode) send_lags.push_back(record.send_lag_ns);
  }
  double rows_rate = 0;
  for (CallType type : kAllCallTypes) {
    const size_t index = static_cast<size_t>(type);
    Accumulator& accumulator = by_type[index];
    if (accumulator.stats.requests == 0) continue;
    accumulator.stats.name = CallTypeName(type);
    CallStats stats = accumulator.Finish(report.measured_seconds);
    if (index < options.rows_per_request.size()) {
      stats.rows_per_request = options.rows_per_request[index];
    }
    stats.rows_rate = stats.rate * stats.rows_per_request;
    rows_rate += stats.rows_rate;
    report.calls.push_back(std::move(stats));
  }
  overall.stats.name = "all";
  report.overall = overall.Finish(report.measured_seconds);
  report.overall.rows_per_request = 0;
  report.overall.rows_rate = rows_rate;
  report.send_lag = SummarizeLatencies(std::move(send_lags));

  if (options.interval_ns > 0 && end_ns > 0) {
    const int64_t rows = (end_ns + options.interval_ns - 1) / options.interval_ns;
    std::vector<Accumulator> buckets(static_cast<size_t>(rows));
    for (const CallRecord& record : records) {
      if (record.start_ns < 0 || record.start_ns >= end_ns) continue;
      buckets[static_cast<size_t>(record.start_ns / options.interval_ns)].Add(record);
    }
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t row_start = i * options.interval_ns;
      // The last row may be shorter than an interval; its rate uses its width.
      const int64_t width = std::min(options.interval_ns, end_ns - row_start);
      CallStats stats =
          buckets[static_cast<size_t>(i)].Finish(static_cast<double>(width) / 1e9);
      TimelineRow row;
      row.start_s = static_cast<double>(row_start) / 1e9;
      row.warmup = row_start < options.warmup_ns;
      row.requests = stats.requests;
      row.ok = stats.ok;
      row.errors = stats.errors;
      row.rate = stats.rate;
      row.latency = stats.latency;
      report.timeline.push_back(row);
    }
  }
  return report;
}

}  // namespace zhongcao::loadgen
