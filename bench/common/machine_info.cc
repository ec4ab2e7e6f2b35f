#include "bench/common/machine_info.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace zhongcao::bench {

MachineInfo ReadMachineInfo() {
  MachineInfo info;
  info.cores = static_cast<int>(std::thread::hardware_concurrency());
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (!absl::StartsWith(line, "MemTotal:")) continue;
    std::vector<std::string> parts =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());  // MemTotal: N kB
    int64_t kib = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) {
      info.memory_bytes = kib * 1024;
    }
    break;
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (!absl::StartsWith(line, "model name")) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      info.cpu_model = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    break;
  }
  if (getloadavg(info.load_average, 3) < 0) {
    info.load_average[0] = info.load_average[1] = info.load_average[2] = -1;
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) info.hostname = host;
  return info;
}

std::string Describe(const MachineInfo& info) {
  return absl::StrFormat("%d cores, %.1f GiB, %s, load %.2f %.2f %.2f", info.cores,
                         info.memory_bytes / (1024.0 * 1024 * 1024),
                         info.cpu_model.empty() ? "unknown CPU" : info.cpu_model,
                         info.load_average[0], info.load_average[1],
                         info.load_average[2]);
}

}  // namespace zhongcao::bench
