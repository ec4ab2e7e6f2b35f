// Drives load at a zhongcao server over gRPC's asynchronous API: an open
// loop at a constant arrival rate, or a closed loop of N callers that each
// send the next request when the last one returns. Returns one record per
// request; stats.h turns them into figures.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "tools/loadgen/request_mix.h"
#include "tools/loadgen/requests.h"
#include "tools/loadgen/stats.h"

namespace zhongcao::loadgen {

enum class LoopMode { kOpen, kClosed };

absl::StatusOr<LoopMode> ParseLoopMode(absl::string_view name);  // "open", "closed"
const char* LoopModeName(LoopMode mode);

struct LoadOptions {
  LoopMode mode = LoopMode::kOpen;
  double rate = 500;  // open loop: requests per second
  // Closed loop: concurrent callers. Open loop: the most requests in flight;
  // a request due while that many are in flight is dropped (and counted).
  // 0 picks EffectiveConcurrency's default.
  int concurrency = 0;
  absl::Duration warmup = absl::Seconds(5);     // run first, not measured
  absl::Duration duration = absl::Seconds(30);  // measured, after the warmup
  absl::Duration deadline = absl::Seconds(1);   // per call; past it, an error
  int client_threads = 2;                       // completion-queue pollers
  uint64_t seed = 1;
};

absl::Status ValidateLoadOptions(const LoadOptions& options);

// `concurrency`, or its default: 16 callers for a closed loop; for an open
// loop twice the requests a healthy server has in flight at the deadline
// (rate x deadline), at least 64, so the cap only ever bites when calls
// outlive their deadline (a hung server or a starved client).
int EffectiveConcurrency(const LoadOptions& options);

struct RunResult {
  std::vector<CallRecord> records;  // one per request, in no particular order
  int concurrency = 0;              // as used
  double wall_seconds = 0;          // from the first request to the last response
};

// Runs one load test over `channels` (requests go round-robin over them;
// several channels give several connections). Waits up to 10 s for each
// channel to connect first, and returns UNAVAILABLE if one does not. Every
// request ends as a record: OK, an error code or dropped.
absl::StatusOr<RunResult> RunLoad(
    const LoadOptions& options, const RequestMix& mix, const RequestFactory& factory,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels);

}  // namespace zhongcao::loadgen
