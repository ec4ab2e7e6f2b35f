// Reads a server's exposure and outcome logs (AdminService.ReadExposures and
// ReadOutcomes) over gRPC, following page tokens to the end of a time range
// and handing each row to the caller as it arrives, so that a range larger
// than memory can be consumed (a caller keeps only what it needs of a row).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::log_reader {

struct LogRange {
  int64_t since_ms = 0;  // Unix ms, inclusive
  int64_t until_ms = 0;  // exclusive; 0: no end
  std::string user_id;   // empty: every user
  int page_limit = 1000;
  absl::Duration deadline = absl::Seconds(60);  // per page
  // A page that fails with UNAVAILABLE or DEADLINE_EXCEEDED is asked again
  // with the same token: pages are reads, so a retry is safe.
  int retries = 2;
};

// A channel to `address` that accepts messages up to 64 MiB: a page of a
// server that caps pages at gRPC's default 4 MiB may still cross it by a row.
std::shared_ptr<grpc::Channel> LogChannel(const std::string& address);

// Calls `each` with every exposure of `range`, oldest first. Stops at the
// first error of the server (its code, "ReadExposures: " and its message)
// or of `each`.
absl::Status ReadExposures(v1::AdminService::StubInterface& stub, const LogRange& range,
                           const std::function<absl::Status(v1::Exposure&)>& each);
absl::Status ReadOutcomes(v1::AdminService::StubInterface& stub, const LogRange& range,
                          const std::function<absl::Status(v1::Outcome&)>& each);

}  // namespace zhongcao::log_reader
