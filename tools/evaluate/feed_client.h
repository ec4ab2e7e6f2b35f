// Asks a running server for test users' feeds over gRPC, as a harness
// would: GetFeed, first page, a few users at once from a few client threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zhongcao::evaluate {

struct FeedRequestPlan {
  std::string user_id;
  int64_t now_ms = 0;  // the request's Context.now_ms; 0: the server's clock
};

struct FeedAnswer {
  std::vector<std::string> item_ids;  // best first
  // "experiment/arm" of each split experiment; an interleaved experiment,
  // which has no arm per response, is named below instead.
  std::vector<std::string> arms;
  std::string interleaved_experiment;  // empty when none
  std::string request_id;              // joins the exposure log
  bool degraded = false;               // some source was left out
};

struct FeedClientOptions {
  std::string address;
  int count = 20;
  int threads = 4;
  absl::Duration deadline = absl::Seconds(30);  // per call
  int retries = 2;  // an UNAVAILABLE or DEADLINE_EXCEEDED call is tried again
  std::map<std::string, std::string> force_arms;
  // Called now and then with the number of answers so far.
  std::function<void(size_t)> progress;
};

// One answer per plan, in order. The first call that fails for good fails
// the whole run, with its status and the user named.
absl::StatusOr<std::vector<FeedAnswer>> FetchFeeds(
    const FeedClientOptions& options, std::span<const FeedRequestPlan> plans);

}  // namespace zhongcao::evaluate
