// Where a benchmark figure came from: cores, memory, CPU and how busy the
// machine was, printed and written next to every result.
#pragma once

#include <cstdint>
#include <string>

namespace zhongcao::bench {

struct MachineInfo {
  int cores = 0;                // online logical CPUs
  int64_t memory_bytes = 0;     // MemTotal
  std::string cpu_model;        // first "model name" of /proc/cpuinfo
  double load_average[3] = {};  // 1, 5 and 15 minutes
  std::string hostname;
};

MachineInfo ReadMachineInfo();

// "2 cores, 23.4 GiB, AMD EPYC, load 1.20 0.90 0.80"
std::string Describe(const MachineInfo& info);

}  // namespace zhongcao::bench
