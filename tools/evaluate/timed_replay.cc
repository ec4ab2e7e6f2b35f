#include "tools/evaluate/timed_replay.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "tools/import/grpc_sink.h"

namespace zhongcao::evaluate {

absl::StatusOr<std::vector<FeedAnswer>> FetchFeedsInTimeOrder(
    const FeedClientOptions& options, std::span<const FeedRequestPlan> plans,
    std::span<const v1::Event> events) {
  for (const FeedRequestPlan& plan : plans) {
    if (plan.now_ms <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the request for user ", plan.user_id,
                       " has no time: replaying in time order needs every request "
                       "at its user's time"));
    }
  }
  absl::StatusOr<std::unique_ptr<tools::GrpcSink>> sink =
      tools::GrpcSink::Connect(options.address);
  if (!sink.ok()) return sink.status();
  const size_t max_events =
      static_cast<size_t>(std::max(1, (*sink)->limits().max_events));

  std::vector<size_t> order(plans.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plans[a].now_ms < plans[b].now_ms; });
  FeedClientOptions group_options = options;
  group_options.progress = nullptr;
  std::vector<FeedAnswer> answers(plans.size());
  size_t sent = 0;  // events recorded so far
  size_t answered = 0;
  for (size_t begin = 0; begin < order.size();) {
    const int64_t now_ms = plans[order[begin]].now_ms;
    size_t end = begin;
    while (end < order.size() && plans[order[end]].now_ms == now_ms) ++end;

    while (sent < events.size() && events[sent].timestamp_ms() < now_ms) {
      size_t stop = sent;
      while (stop < events.size() && stop - sent < max_events &&
             events[stop].timestamp_ms() < now_ms) {
        ++stop;
      }
      if (absl::Status s =
              (*sink)->RecordEvents(events.subspan(sent, stop - sent), false);
          !s.ok()) {
        return s;
      }
      sent = stop;
    }

    std::vector<FeedRequestPlan> group;
    group.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) group.push_back(plans[order[i]]);
    group_options.threads =
        std::min<int>(options.threads, static_cast<int>(group.size()));
    absl::StatusOr<std::vector<FeedAnswer>> got = FetchFeeds(group_options, group);
    if (!got.ok()) return got.status();
    for (size_t i = begin; i < end; ++i) answers[order[i]] = std::move((*got)[i - begin]);

    const size_t before = answered;
    answered += end - begin;
    if (options.progress && answered / 1000 != before / 1000) options.progress(answered);
    begin = end;
  }
  return answers;
}

}  // namespace zhongcao::evaluate
