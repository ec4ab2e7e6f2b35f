// What one load run measured: a record per request, and the summaries made
// from them (counts, errors by gRPC code, rate, exact latency percentiles
// overall, per call type and per time interval).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/loadgen/request_mix.h"

namespace zhongcao::loadgen {

// A request that was never sent because the open loop's in-flight cap was
// reached. It counts as an error: waiting for room instead would delay every
// later request and hide the server's queueing (coordinated omission).
inline constexpr int kDroppedCode = -1;

struct CallRecord {
  // When the request was due (open loop) or its caller decided to send it
  // (closed loop), in ns after the run's start; latency counts from here.
  int64_t start_ns = 0;
  int64_t latency_ns = 0;   // until the response; 0 when dropped
  int64_t send_lag_ns = 0;  // sent minus start: the client's own delay
  int code = 0;             // grpc::StatusCode, or kDroppedCode
  CallType type = CallType::kGetFeed;
};

// The name of a record's code: "OK", "DEADLINE_EXCEEDED", ..., "DROPPED".
std::string CodeName(int code);

// The p-th percentile (0 < p <= 100) of ascending `sorted` by the nearest
// rank: the smallest value with at least p% of the values at or below it.
// Always one of the values, never an interpolation. 0 when empty.
int64_t PercentileOfSorted(const std::vector<int64_t>& sorted, double p);

struct LatencySummary {
  int64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// Summarises latencies in ns (sorts them; a copy, the caller's are kept).
LatencySummary SummarizeLatencies(std::vector<int64_t> latencies_ns);

struct CallStats {
  std::string name;  // the RPC's name, or "all"
  // requests = ok + errors; errors include `dropped`.
  int64_t requests = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  int64_t dropped = 0;
  std::map<std::string, int64_t> errors_by_code;  // CodeName -> count
  double rate = 0;  // OK responses per second of the measured window
  // Rows (items, events) one OK request carries: the batch of a write, 1 for
  // a read; 0 for "all", whose calls may differ.
  int rows_per_request = 1;
  double rows_rate = 0;  // rate x rows_per_request; for "all" the sum over calls
  // Of OK responses only: an error's latency says little (a deadline error
  // takes the deadline, a refused call almost nothing) and is counted above.
  LatencySummary latency;
};

// The requests whose start falls in [start_s, start_s + interval): grouped
// by start rather than completion so a slow spell shows where it began.
struct TimelineRow {
  double start_s = 0;  // since the run's start, warmup included
  bool warmup = false;
  int64_t requests = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  double rate = 0;  // OK responses per second of the interval
  LatencySummary latency;
};

struct SummaryOptions {
  int64_t warmup_ns = 0;    // requests starting before this are not counted
  int64_t duration_ns = 0;  // the measured window after the warmup
  int64_t interval_ns = 0;  // timeline row width; 0 for no timeline
  // Rows per request by call type (index = the CallType's value); a type
  // not covered carries 1.
  std::vector<int> rows_per_request;
};

struct Report {
  double measured_seconds = 0;
  int64_t warmup_requests = 0;   // left out of every figure but the timeline
  std::vector<CallStats> calls;  // per call type that had requests, in enum order
  CallStats overall;
  // Open loop: how late the client sent requests. Large values mean the
  // client, not the server, was short of CPU (latencies still include it).
  LatencySummary send_lag;
  std::vector<TimelineRow> timeline;  // the whole run, warmup included
};

Report Summarize(const std::vector<CallRecord>& records, const SummaryOptions& options);

}  // namespace zhongcao::loadgen
