// Feed requests asked in time order while the training events reach the
// running server through RecordEvents as they happened: each request is
// made once every event before its time is recorded and none after it, so
// that trending, co-occurrence and histories see no future, as in a live
// service. Requests at one time go out together, from several callers.
#pragma once

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/evaluate/feed_client.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::evaluate {

// One answer per plan, in plan order. `events` are oldest first; every plan
// needs a time (now_ms > 0), else INVALID_ARGUMENT. Events after the last
// request are not sent.
absl::StatusOr<std::vector<FeedAnswer>> FetchFeedsInTimeOrder(
    const FeedClientOptions& options, std::span<const FeedRequestPlan> plans,
    std::span<const v1::Event> events);

}  // namespace zhongcao::evaluate
