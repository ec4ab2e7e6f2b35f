#include "tools/evaluate/evaluator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "ranking/feed_settings.h"
#include "tools/evaluate/arm_credit.h"
#include "tools/evaluate/baselines.h"
#include "tools/evaluate/exposure_credit.h"
#include "tools/evaluate/feed_client.h"
#include "tools/evaluate/phases.h"
#include "tools/evaluate/ranker_validation.h"
#include "tools/evaluate/replay_server.h"
#include "tools/evaluate/server_process.h"
#include "tools/evaluate/timed_replay.h"
#include "tools/evaluate/timeline.h"
#include "tools/train/evaluation.h"
#include "tools/train/scorers.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::evaluate {
namespace {

// A directory removed on destruction unless kept.
class WorkDir {
 public:
  static absl::StatusOr<WorkDir> Make(const std::filesystem::path& given, bool keep) {
    WorkDir w;
    std::error_code ec;
    if (given.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "zhongcao_evaluate_XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return absl::InternalError(absl::StrCat("cannot create a directory ", pattern));
      }
      w.path_ = pattern;
      w.remove_ = !keep;
    } else {
      if (std::filesystem::exists(given / "data")) {
        return absl::AlreadyExistsError(absl::StrCat(
            "--work_dir: ", (given / "data").string(),
            " exists; the evaluation loads a fresh data directory (remove it)"));
      }
      std::filesystem::create_directories(given, ec);
      if (ec) {
        return absl::InternalError(
            absl::StrCat("--work_dir: ", given.string(), ": ", ec.message()));
      }
      w.path_ = given;
    }
    return w;
  }
  WorkDir() = default;
  WorkDir(WorkDir&& o) noexcept : path_(std::move(o.path_)), remove_(o.remove_) {
    o.remove_ = false;
  }
  ~WorkDir() {
    if (remove_) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::filesystem::path& path() const { return path_; }
  // A fresh directory for one more replay server.
  absl::StatusOr<std::filesystem::path> Sub(const std::string& name) const {
    const std::filesystem::path dir = path_ / name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": ", ec.message()));
    return dir;
  }

 private:
  std::filesystem::path path_;
  bool remove_ = false;
};

std::vector<train::UserTargets> ChooseUsers(std::vector<train::UserTargets> all,
                                            int max_users, uint64_t seed) {
  if (max_users <= 0 || static_cast<size_t>(max_users) >= all.size()) return all;
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<size_t>(max_users));
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.user < b.user; });
  return all;
}

std::vector<MetricsAt> ScoreSubset(std::span<const train::UserTargets> targets,
                                   std::span<const UserList> lists,
                                   std::span<const size_t> members,
                                   const ScoreOptions& options) {
  std::vector<ScoredUser> users;
  users.reserve(members.size());
  for (size_t i : members) users.push_back({&targets[i].items, &lists[i].items});
  return ScoreUsers(users, options);
}

std::string Settings(const train::TrainSettings& t) {
  return absl::StrFormat(
      "factors=%d regularization=%g alpha=%g iterations=%d seed=%d "
      "category_weight=%g category_score_weight=%g half_life=%g weights=%s",
      t.als.factors, t.als.regularization, t.als.alpha, t.als.iterations, t.als.seed,
      t.categories.column_weight, t.categories.score_weight, t.half_life,
      t.weights.ToString());
}

}  // namespace

absl::StatusOr<EvaluationResult> Evaluate(const EvaluateOptions& o) {
  EvaluationResult result;
  Phases phases(result.phase_seconds, o.progress);
  if (o.ks.empty()) return absl::InvalidArgumentError("--ks: give at least one K");
  for (int k : o.ks) {
    if (k < 1 || k > 100)
      return absl::InvalidArgumentError("--ks: each K must be 1..100");
  }
  result.ks = o.ks;
  result.feed_count =
      o.feed_count > 0 ? o.feed_count : *std::max_element(o.ks.begin(), o.ks.end());
  if (result.feed_count > 100) {
    return absl::InvalidArgumentError("--feed_count: at most 100 (the API's limit)");
  }
  if (o.train_ranker) {
    if (!o.serve) return absl::InvalidArgumentError("--train_ranker needs --serve");
    if (o.validation) {
      // The ranker learns from the validation items; scoring it on them
      // would grade it on what it was taught. Its own held-out NDCG, on
      // requests it did not train on, is the validation figure.
      return absl::InvalidArgumentError(
          "--train_ranker trains on the validation items, so it cannot be scored on "
          "them (--validation); choose its settings by the held-out NDCG it reports");
    }
    if (o.ranker_feed_count < 1 || o.ranker_feed_count > 100) {
      return absl::InvalidArgumentError("--ranker_feed_count: must be 1..100");
    }
  }

  if (o.replay_in_time) {
    if (!o.request_at_user_time) {
      return absl::InvalidArgumentError(
          "--replay_in_time asks for each feed at its user's time: it needs "
          "--request_at_user_time");
    }
  }

  // The server config first: a bad setting name fails before any work.
  if (o.serve) {
    std::string base;
    if (!o.config_file.empty()) {
      std::ifstream in(o.config_file);
      if (!in) {
        return absl::NotFoundError(
            absl::StrCat("--config: ", o.config_file, ": cannot open"));
      }
      std::stringstream text;
      text << in.rdbuf();
      base = text.str();
    }
    absl::StatusOr<std::string> config = MakeServerConfig(base, o.settings);
    if (!config.ok()) return config.status();
    result.server_config = *config;
  }

  // Read and split.
  phases.Start("read");
  absl::StatusOr<EvaluationInput> input = ReadInput(o.input);
  if (!input.ok()) return input.status();
  const train::InteractionLog& log = input->log;
  result.dataset = input->name;
  result.source = input->source;
  result.protocol = input->protocol_name;
  result.protocol_text = input->protocol_text;
  result.time_unit = TimeUnitName(input->time_unit);
  result.users = log.users.size();
  result.items = log.items.size();
  result.events = static_cast<int64_t>(log.events.size());
  phases.End();

  phases.Start("split");
  const train::Split split = train::SplitByTime(log, input->protocol);
  // The final model trains on everything but the test; a validation run
  // trains on what precedes the validation items and is scored on them.
  const std::vector<train::Interaction>& train_events =
      o.validation ? split.train : split.train_with_validation;
  const std::vector<train::Interaction>& held_out =
      o.validation ? split.validation : split.test;
  result.held_out = o.validation ? "validation" : "test";
  result.train_events = static_cast<int64_t>(train_events.size());
  result.test_events = static_cast<int64_t>(held_out.size());
  std::vector<train::UserTargets> all_targets = train::GroupByUser(held_out);
  result.test_users = static_cast<int64_t>(all_targets.size());
  const std::vector<train::UserTargets> targets =
      ChooseUsers(std::move(all_targets), o.max_users, o.seed);
  result.evaluated_users = static_cast<int64_t>(targets.size());
  if (targets.empty()) {
    return absl::FailedPreconditionError(
        "no user has a held-out item under this protocol (too few events per user?)");
  }
  // Every event type weighs 1 here: what a user did at all is masked, as
  // the service's feed drops every item in the user's history.
  train::EventWeights any_event;
  for (int t = 0; t < train::kEventTypeCount; ++t) {
    any_event.Set(static_cast<train::EventType>(t), 1);
  }
  const train::FeedbackMatrix seen = train::FeedbackMatrix::Build(
      log.users.size(), log.items.size(), train_events, any_event);
  phases.End();

  // Train.
  phases.Start("train");
  train::TrainSettings settings = input->train;
  if (o.factors > 0) settings.als.factors = o.factors;
  if (o.iterations > 0) settings.als.iterations = o.iterations;
  settings.als.seed = o.train_seed;
  settings.als.threads = o.threads;
  if (absl::Status s = settings.als.Validate(); !s.ok()) return s;
  absl::StatusOr<train::TrainedModel> trained = train::Train(log, train_events, settings);
  if (!trained.ok()) return trained.status();
  result.settings.emplace_back("train", Settings(settings));
  phases.End();

  const ItemVectors vectors(trained->model.items);
  ScoreOptions score;
  score.ks = o.ks;
  score.catalog_items = log.items.size();
  score.vectors = &vectors;
  score.bootstrap_samples = o.bootstrap_samples;
  score.seed = o.seed;
  std::vector<size_t> everyone(targets.size());
  for (size_t i = 0; i < everyone.size(); ++i) everyone[i] = i;

  if (o.serve) {
    absl::StatusOr<WorkDir> work = WorkDir::Make(o.work_dir, o.keep_work_dir);
    if (!work.ok()) return work.status();
    const std::filesystem::path data_dir = work->path() / "data";

    // Ends a minute before now, so that no event is ahead of the server's
    // clock and recent ones still count in its time-decayed signals.
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    const Timeline timeline =
        Timeline::Fit(log.events, input->time_unit, now_ms - 60'000);
    ReplayServerOptions server_options;
    server_options.binary = o.server_binary;
    server_options.config = result.server_config;
    server_options.dim = settings.als.factors;
    server_options.index_factory = o.index_factory;
    server_options.extra_args = o.server_args;

    // The learned ranker first, on its own server one step before the test.
    if (o.train_ranker) {
      RankerValidationOptions ranker;
      ranker.server = server_options;
      absl::StatusOr<std::filesystem::path> dir = work->Sub("ranker");
      if (!dir.ok()) return dir.status();
      ranker.server.dir = *dir;
      ranker.feed_count = o.ranker_feed_count;
      ranker.client_threads = o.client_threads;
      ranker.at_user_time = o.request_at_user_time;
      ranker.replay_in_time = o.replay_in_time;
      ranker.train = o.ranker;
      // The model is compared with the weighted sum that served: the
      // built-in weights as --set changed them (a --config file's weights
      // are not read here).
      ranking::FeedSettings served;
      for (const auto& [name, value] : o.settings) {
        if (absl::Status s = ranking::SetFeedSetting(name, value, &served); !s.ok()) {
          return s;
        }
      }
      ranker.train.baseline_weights = served.weights;
      absl::StatusOr<RankerValidationResult> trained_ranker =
          TrainRankerOnValidation(ranker, log, split, timeline, settings, phases);
      if (!trained_ranker.ok()) return trained_ranker.status();
      result.ranker = *trained_ranker;
      result.ranker_feed_count = o.ranker_feed_count;
      result.settings.emplace_back(
          "ranker",
          absl::StrFormat("objective=%s rounds=%d max_depth=%d learning_rate=%g "
                          "holdout=%g seed=%d threads=%d validation_feed_count=%d",
                          o.ranker.objective, o.ranker.rounds, o.ranker.max_depth,
                          o.ranker.learning_rate, o.ranker.holdout_fraction,
                          o.ranker.seed, o.ranker.threads, o.ranker_feed_count));
    }

    // Load.
    phases.Start("load");
    absl::StatusOr<ReplayData> data =
        LoadReplayData(data_dir, settings.als.factors, o.index_factory, log, train_events,
                       timeline, trained->model, /*record_events=*/!o.replay_in_time);
    if (!data.ok()) return data.status();
    result.load = data->load;
    phases.End();

    // Configure and start the server.
    phases.Start("server start");
    server_options.dir = work->path();
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        StartReplayServer(server_options, *data);
    if (!server.ok()) return server.status();
    std::vector<std::string> overrides;
    for (const auto& [name, value] : o.settings)
      overrides.push_back(absl::StrCat(name, "=", value));
    result.settings.emplace_back(
        "server",
        absl::StrCat("binary=", o.server_binary.string(), " index_factory=",
                     o.index_factory, " history_limit=", data->history_limit,
                     " config=", o.config_file.empty() ? "(defaults)" : o.config_file,
                     " set=", absl::StrJoin(overrides, ",")));
    phases.End();

    const std::vector<FeedRequestPlan> plans =
        PlanFeeds(log, targets, *data, o.request_at_user_time);
    FeedClientOptions client;
    client.address = (*server)->address();
    client.count = result.feed_count;
    client.threads = o.client_threads;
    client.force_arms = o.force_arms;
    result.settings.emplace_back(
        "requests",
        absl::StrFormat(
            "count=%d client_threads=%d now=%s events=%s", client.count, client.threads,
            o.request_at_user_time ? "a minute after the user's last training event"
                                   : "server clock",
            o.replay_in_time ? "replayed in time order between requests"
                             : "all loaded before the first request"));
    const std::vector<v1::Event> replayed_events =
        o.replay_in_time ? ServiceEvents(log, train_events, timeline)
                         : std::vector<v1::Event>();
    // Serves every test user once, scores the answers as `system`, and
    // credits interleaved answers from the exposure log.
    auto serve = [&](const std::string& system) -> absl::Status {
      phases.Start(system == "zhongcao" ? "serve" : absl::StrCat("serve ", system));
      const auto serve_start = std::chrono::steady_clock::now();
      client.progress = [&](size_t n) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - serve_start)
                .count();
        phases.Say(absl::StrFormat("%d/%d feeds (%.0f/s)", n, plans.size(),
                                   static_cast<double>(n) / std::max(s, 1e-9)));
      };
      const int64_t since_ms = absl::ToUnixMillis(absl::Now());
      absl::StatusOr<std::vector<FeedAnswer>> answers =
          o.replay_in_time ? FetchFeedsInTimeOrder(client, plans, replayed_events)
                           : FetchFeeds(client, plans);
      if (!answers.ok()) return answers.status();
      phases.End();

      absl::StatusOr<std::vector<InterleavedFeedCredit>> credit =
          CreditInterleavedFeeds(client.address, since_ms, *answers, targets, log);
      if (!credit.ok()) return credit.status();
      for (InterleavedFeedCredit& c : *credit) {
        result.interleaved.push_back({system, std::move(c)});
      }

      std::vector<UserList> lists(targets.size());
      for (size_t i = 0; i < targets.size(); ++i) {
        const FeedAnswer& a = (*answers)[i];
        UserList& list = lists[i];
        list.user = targets[i].user;
        list.arms = a.arms;
        const auto row = seen.UserRow(list.user);
        for (const std::string& id : a.item_ids) {
          std::optional<int32_t> item = log.items.Find(id);
          if (!item.has_value()) continue;
          list.items.push_back(*item);
          if (std::binary_search(
                  row.begin(), row.end(), train::FeedbackMatrix::Entry{*item, 0},
                  [](const auto& x, const auto& y) { return x.index < y.index; })) {
            ++result.seen_items_served;
          }
        }
        if (a.degraded) ++result.degraded_responses;
        if (static_cast<int>(a.item_ids.size()) < result.feed_count)
          ++result.short_responses;
      }
      phases.Start(absl::StrCat("score ", system));
      result.systems.push_back(
          {system, "all", ScoreSubset(targets, lists, everyone, score)});
      for (const ArmGroup& group : GroupByServedArm(lists)) {
        result.systems.push_back(
            {system, group.arm, ScoreSubset(targets, lists, group.members, score)});
      }
      phases.End();
      return absl::OkStatus();
    };
    if (absl::Status s = serve("zhongcao"); !s.ok()) return s;

    // The same users again, with the ranker trained on validation feeds: the
    // feed keeps no state of a first page, so the second pass differs from
    // the first only in the scorer.
    if (result.ranker.has_value()) {
      if (o.replay_in_time) {
        // The first pass left every event in its server; the ranker's pass
        // replays them again from the start, on a fresh one.
        if (absl::Status s = (*server)->Stop(); !s.ok()) return s;
        phases.Start("load again for the ranker's replay");
        absl::StatusOr<std::filesystem::path> dir = work->Sub("ranker-test");
        if (!dir.ok()) return dir.status();
        server_options.dir = *dir;
        absl::StatusOr<ReplayData> again = LoadReplayData(
            server_options.dir / "data", settings.als.factors, o.index_factory, log,
            train_events, timeline, trained->model, /*record_events=*/false);
        if (!again.ok()) return again.status();
        phases.End();
        server = StartReplayServer(server_options, *again);
        if (!server.ok()) return server.status();
        client.address = (*server)->address();
      }
      auto admin = v1::AdminService::NewStub(
          grpc::CreateChannel(client.address, grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      v1::LoadRankerModelRequest request;
      request.set_path(result.ranker->model_path.string());
      v1::LoadRankerModelResponse response;
      const grpc::Status status = admin->LoadRankerModel(&context, request, &response);
      if (!status.ok()) {
        return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                            absl::StrCat("LoadRankerModel ", request.path(), ": ",
                                         status.error_message()));
      }
      if (absl::Status s = serve("zhongcao_ranker"); !s.ok()) return s;
    }
    if (absl::Status s = (*server)->Stop(); !s.ok()) return s;
  }

  // Baselines, same users and masking.
  phases.Start("baselines");
  const int depth = result.feed_count;
  const train::PopularityScorer popularity(trained->feedback);
  const std::vector<UserList> popular =
      RankForUsers(popularity, seen, targets, depth, o.threads);
  const ItemKnnScorer knn(trained->feedback, o.knn_neighbors);
  const std::vector<UserList> neighbours =
      RankForUsers(knn, seen, targets, depth, o.threads);
  const train::AlsScorer als(trained->model);
  const std::vector<UserList> exact = RankForUsers(als, seen, targets, depth, o.threads);
  result.settings.emplace_back("baselines",
                               absl::StrCat("popularity: training users per item; "
                                            "item_knn: cosine, neighbors=",
                                            o.knn_neighbors,
                                            "; als_exact: the served vectors, exact "
                                            "inner product in process"));
  result.systems.push_back(
      {"popularity", "all", ScoreSubset(targets, popular, everyone, score)});
  result.systems.push_back(
      {"item_knn", "all", ScoreSubset(targets, neighbours, everyone, score)});
  result.systems.push_back(
      {"als_exact", "all", ScoreSubset(targets, exact, everyone, score)});
  phases.End();
  return result;
}

}  // namespace zhongcao::evaluate
