// How a load run is shown: a text table for people and a JSON document for
// benchmark records, with the flags, the machine and the server it ran on.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tools/loadgen/stats.h"

namespace zhongcao::loadgen {

struct MachineInfo {
  unsigned cores = 0;        // std::thread::hardware_concurrency
  int64_t memory_bytes = 0;  // MemTotal of /proc/meminfo; 0 if unreadable
};

MachineInfo ReadMachineInfo();

// What the report says besides the figures, as name/value pairs in order.
struct RunInfo {
  std::string mode;         // "open" or "closed"
  double offered_rate = 0;  // open loop; 0 for closed
  int concurrency = 0;
  double wall_seconds = 0;
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::pair<std::string, std::string>> server;  // from GetStatus
  MachineInfo machine;
};

// Per call type and overall: requests, OK, errors, rate, p50/p90/p99/p99.9/max
// in ms, then the errors by code and the client's send lag.
std::string FormatTable(const Report& report, const RunInfo& info);

// One row per interval: start, requests, OK, errors, rate, p50, p99, max.
std::string FormatTimeline(const Report& report);

std::string ToJson(const Report& report, const RunInfo& info);

absl::Status WriteFile(const std::string& path, const std::string& contents);

}  // namespace zhongcao::loadgen
