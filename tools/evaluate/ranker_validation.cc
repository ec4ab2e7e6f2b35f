#include "tools/evaluate/ranker_validation.h"

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/evaluate/feed_client.h"
#include "tools/evaluate/loader.h"
#include "tools/evaluate/timed_replay.h"
#include "tools/rank_train/server_examples.h"
#include "tools/train/evaluation.h"

namespace zhongcao::evaluate {

absl::StatusOr<RankerValidationResult> TrainRankerOnValidation(
    const RankerValidationOptions& o, const train::InteractionLog& log,
    const train::Split& split, const Timeline& timeline, const train::TrainSettings& als,
    Phases& phases) {
  RankerValidationResult result;
  const std::vector<train::UserTargets> targets = train::GroupByUser(split.validation);
  if (targets.empty()) {
    return absl::FailedPreconditionError(
        "--train_ranker: no user has a validation item under this protocol");
  }
  result.validation_users = static_cast<int64_t>(targets.size());

  phases.Start("ranker: train vectors before validation");
  absl::StatusOr<train::TrainedModel> trained = train::Train(log, split.train, als);
  if (!trained.ok()) return trained.status();
  phases.End();

  phases.Start("ranker: load");
  absl::StatusOr<ReplayData> data =
      LoadReplayData(o.server.dir / "data", o.server.dim, o.server.index_factory, log,
                     split.train, timeline, trained->model,
                     /*record_events=*/!o.replay_in_time);
  if (!data.ok()) return data.status();
  phases.End();

  phases.Start("ranker: server start");
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      StartReplayServer(o.server, *data);
  if (!server.ok()) return server.status();
  phases.End();

  phases.Start("ranker: validation feeds");
  const std::vector<FeedRequestPlan> plans =
      PlanFeeds(log, targets, *data, o.at_user_time);
  FeedClientOptions client;
  client.address = (*server)->address();
  client.count = o.feed_count;
  client.threads = o.client_threads;
  const int64_t since_ms = absl::ToUnixMillis(absl::Now());
  const auto start = std::chrono::steady_clock::now();
  client.progress = [&](size_t n) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    phases.Say(absl::StrFormat("%d/%d validation feeds (%.0f/s)", n, plans.size(),
                               static_cast<double>(n) / std::max(s, 1e-9)));
  };
  absl::StatusOr<std::vector<FeedAnswer>> answers =
      o.replay_in_time ? FetchFeedsInTimeOrder(client, plans,
                                               ServiceEvents(log, split.train, timeline))
                       : FetchFeeds(client, plans);
  if (!answers.ok()) return answers.status();
  phases.End();

  // The validation items are the outcomes of the feeds just served.
  phases.Start("ranker: join exposures with validation items");
  std::vector<std::string> request_of(static_cast<size_t>(log.users.size()));
  for (size_t i = 0; i < targets.size(); ++i) {
    request_of[static_cast<size_t>(targets[i].user)] = (*answers)[i].request_id;
  }
  rank_train::OutcomeLabels labels;
  for (const train::Interaction& e : split.validation) {
    const std::string& request = request_of[static_cast<size_t>(e.user)];
    if (request.empty()) continue;
    v1::Event event;
    event.set_user_id(log.users.Name(e.user));
    event.set_item_id(log.items.Name(e.item));
    event.set_type(ServiceEventType(e.type));
    event.set_request_id(request);
    labels.Add(event);
  }
  auto stub = v1::AdminService::NewStub(log_reader::LogChannel((*server)->address()));
  log_reader::LogRange range;
  range.since_ms = since_ms;
  rank_train::ExampleJoinOptions join;
  join.requests_with_outcomes_only = true;
  absl::StatusOr<rank_train::JoinedExamples> joined =
      rank_train::ExamplesFromExposures(*stub, range, labels, join);
  if (!joined.ok()) return joined.status();
  if (absl::Status s = (*server)->Stop(); !s.ok()) return s;
  result.outcomes = joined->outcomes;
  result.join = joined->stats;
  phases.Say(
      absl::StrFormat("%d exposures read, %d with a validation item served (%d examples)",
                      result.join.exposures, result.join.requests, result.join.examples));
  if (joined->examples.empty()) {
    return absl::FailedPreconditionError(
        "--train_ranker: no validation feed served its user's validation item, so "
        "there is nothing to learn from (try a larger --ranker_feed_count)");
  }
  // Each user had one request: name the group by the user rather than by
  // the server's random request id, and order the groups by it rather than
  // by when concurrent callers happened to be served, so that the trainer's
  // hold-out (a hash of the group's name and the seed) and its input, and
  // with them the model, are the same on every run.
  absl::flat_hash_map<std::string, std::string> user_of_request;
  for (size_t i = 0; i < targets.size(); ++i) {
    user_of_request[(*answers)[i].request_id] = plans[i].user_id;
  }
  for (rank_train::RankingExample& e : joined->examples) {
    auto it = user_of_request.find(e.request_id);
    if (it != user_of_request.end()) e.request_id = it->second;
  }
  std::stable_sort(
      joined->examples.begin(), joined->examples.end(),
      [](const rank_train::RankingExample& a, const rank_train::RankingExample& b) {
        return a.request_id < b.request_id;
      });
  absl::StatusOr<rank_train::RankingDataset> dataset =
      rank_train::BuildRankingDataset(std::move(joined->examples));
  if (!dataset.ok()) return dataset.status();
  phases.End();

  phases.Start("ranker: train LambdaMART");
  result.model_path = std::filesystem::absolute(o.server.dir / "ranker.json");
  absl::StatusOr<rank_train::RankerTrainReport> report =
      rank_train::TrainRanker(*dataset, o.train, result.model_path.string());
  if (!report.ok()) return report.status();
  result.report = *report;
  result.ndcg_at = o.train.ndcg_at;
  phases.End();
  return result;
}

}  // namespace zhongcao::evaluate
