#include "tools/loadgen/report.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace zhongcao::loadgen {
namespace {

std::string ErrorList(const CallStats& stats) {
  return absl::StrJoin(stats.errors_by_code, " ", absl::PairFormatter("="));
}

// JSON has no NaN or infinity: an empty latency set gives null.
nlohmann::ordered_json Number(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

nlohmann::ordered_json LatencyJson(const LatencySummary& latency) {
  return {{"count", latency.count},        {"mean", Number(latency.mean_ms)},
          {"p50", Number(latency.p50_ms)}, {"p90", Number(latency.p90_ms)},
          {"p99", Number(latency.p99_ms)}, {"p99_9", Number(latency.p999_ms)},
          {"max", Number(latency.max_ms)}};
}

nlohmann::ordered_json CallJson(const CallStats& stats) {
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  for (const auto& [code, count] : stats.errors_by_code) errors[code] = count;
  return {{"requests", stats.requests},
          {"ok", stats.ok},
          {"errors", stats.errors},
          {"dropped", stats.dropped},
          {"errors_by_code", std::move(errors)},
          {"rate_per_s", Number(stats.rate)},
          {"rows_per_request", stats.rows_per_request},
          {"rows_per_s", Number(stats.rows_rate)},
          {"latency_ms", LatencyJson(stats.latency)}};
}

nlohmann::ordered_json StringMap(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : pairs) out[key] = value;
  return out;
}

}  // namespace

MachineInfo ReadMachineInfo() {
  MachineInfo info;
  info.cores = std::thread::hardware_concurrency();
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    // "MemTotal:       24609836 kB"
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "MemTotal:")) continue;
    const std::vector<absl::string_view> words =
        absl::StrSplit(rest, ' ', absl::SkipEmpty());
    int64_t kib = 0;
    if (!words.empty() && absl::SimpleAtoi(words[0], &kib))
      info.memory_bytes = kib * 1024;
    break;
  }
  return info;
}

std::string FormatTable(const Report& report, const RunInfo& info) {
  std::string out;
  absl::StrAppendFormat(&out, "%s loop", info.mode);
  if (info.offered_rate > 0)
    absl::StrAppendFormat(&out, ", offered %.1f/s", info.offered_rate);
  absl::StrAppendFormat(&out, ", %s %d, measured %.1f s (%d warmup requests left out)\n",
                        info.mode == "open" ? "max in flight" : "concurrency",
                        info.concurrency, report.measured_seconds,
                        report.warmup_requests);
  absl::StrAppendFormat(&out, "%-15s %9s %9s %7s %9s %8s %8s %8s %8s %8s\n", "call",
                        "requests", "ok", "errors", "rate/s", "p50 ms", "p90 ms",
                        "p99 ms", "p99.9 ms", "max ms");
  std::vector<const CallStats*> rows;
  for (const CallStats& stats : report.calls) rows.push_back(&stats);
  rows.push_back(&report.overall);
  for (const CallStats* stats : rows) {
    const LatencySummary& l = stats->latency;
    absl::StrAppendFormat(&out, "%-15s %9d %9d %7d %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f\n",
                          stats->name, stats->requests, stats->ok, stats->errors,
                          stats->rate, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms);
  }
  for (const CallStats* stats : rows) {
    if (stats->rows_per_request > 1) {
      absl::StrAppendFormat(&out, "%s: %.1f rows/s (%d per request)\n", stats->name,
                            stats->rows_rate, stats->rows_per_request);
    }
  }
  for (const CallStats* stats : rows) {
    if (stats->errors > 0) {
      absl::StrAppendFormat(&out, "errors %s: %s\n", stats->name, ErrorList(*stats));
    }
  }
  if (info.mode == "open") {
    absl::StrAppendFormat(&out, "client send lag: p99 %.2f ms, max %.2f ms\n",
                          report.send_lag.p99_ms, report.send_lag.max_ms);
  }
  return out;
}

std::string FormatTimeline(const Report& report) {
  std::string out;
  absl::StrAppendFormat(&out, "%8s %9s %9s %7s %9s %8s %8s %8s\n", "t s", "requests",
                        "ok", "errors", "rate/s", "p50 ms", "p99 ms", "max ms");
  for (const TimelineRow& row : report.timeline) {
    absl::StrAppendFormat(&out, "%8.1f %9d %9d %7d %9.1f %8.2f %8.2f %8.2f%s\n",
                          row.start_s, row.requests, row.ok, row.errors, row.rate,
                          row.latency.p50_ms, row.latency.p99_ms, row.latency.max_ms,
                          row.warmup ? "  (warmup)" : "");
  }
  return out;
}

std::string ToJson(const Report& report, const RunInfo& info) {
  nlohmann::ordered_json calls = nlohmann::ordered_json::object();
  for (const CallStats& stats : report.calls) calls[stats.name] = CallJson(stats);
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  for (const TimelineRow& row : report.timeline) {
    timeline.push_back({{"t_s", Number(row.start_s)},
                        {"warmup", row.warmup},
                        {"requests", row.requests},
                        {"ok", row.ok},
                        {"errors", row.errors},
                        {"rate_per_s", Number(row.rate)},
                        {"p50_ms", Number(row.latency.p50_ms)},
                        {"p99_ms", Number(row.latency.p99_ms)},
                        {"max_ms", Number(row.latency.max_ms)}});
  }
  const nlohmann::ordered_json document = {
      {"tool", "zhongcao_loadgen"},
      {"mode", info.mode},
      {"offered_rate_per_s", Number(info.offered_rate)},
      {"concurrency", info.concurrency},
      {"measured_seconds", Number(report.measured_seconds)},
      {"wall_seconds", Number(info.wall_seconds)},
      {"warmup_requests", report.warmup_requests},
      {"flags", StringMap(info.flags)},
      {"machine",
       {{"cores", info.machine.cores}, {"memory_bytes", info.machine.memory_bytes}}},
      {"server", StringMap(info.server)},
      {"overall", CallJson(report.overall)},
      {"calls", std::move(calls)},
      {"send_lag_ms", LatencyJson(report.send_lag)},
      {"timeline", std::move(timeline)},
  };
  return document.dump(2) + "\n";
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open"));
  out << contents;
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace zhongcao::loadgen
