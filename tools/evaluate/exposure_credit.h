// Interleaving credit through the server's own log, as a harness reads it:
// after the evaluation's feeds are served, their exposures are read back
// over gRPC (AdminService.ReadExposures) and each user's held-out items are
// credited to the arm that the interleaved list attributed them to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/experiment/interleaving_credit.h"
#include "tools/evaluate/feed_client.h"
#include "tools/train/evaluation.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::evaluate {

struct InterleavedFeedCredit {
  ranking::InterleavingCredit credit;
  int64_t exposures = 0;  // of the evaluation's interleaved requests, read back
  // Interleaved requests whose exposure was not in the log (a full log queue
  // drops rather than slows a request); they count nowhere.
  int64_t missing_exposures = 0;
};

// `answers[i]` is the feed of `targets[i]`, served from `since_ms` (server
// wall clock) on by the server at `address`. One result per interleaved
// experiment; none when no answer was interleaved.
absl::StatusOr<std::vector<InterleavedFeedCredit>> CreditInterleavedFeeds(
    const std::string& address, int64_t since_ms, std::span<const FeedAnswer> answers,
    std::span<const train::UserTargets> targets, const train::InteractionLog& log);

}  // namespace zhongcao::evaluate
