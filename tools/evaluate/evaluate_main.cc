// zhongcao_evaluate: offline replay evaluation through the real server.
//
//   zhongcao_evaluate --dataset=amazon_beauty              # LOO, ../shared/data
//   zhongcao_evaluate --dataset=taobao --set=rerank.mmr_lambda=1 --json_out=t.json
//   zhongcao_evaluate --log=events.jsonl --columns=user=u,item=i,timestamp=ts
//       --protocol=last_n --n=2 --config=experiments.toml   (one line)
//   zhongcao_evaluate --dataset=amazon_beauty --train_ranker  # + LambdaMART
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/evaluate/evaluator.h"
#include "tools/evaluate/repeated_flags.h"
#include "tools/evaluate/report.h"
#include "tools/evaluate/server_process.h"

ABSL_FLAG(std::string, dataset, "",
          "taobao, ciao or amazon_beauty (under --data_dir), or events (the service's "
          "events CSV, given by --log)");
ABSL_FLAG(std::string, data_dir, "../shared/data", "Where the named datasets live");
ABSL_FLAG(std::string, log, "", "A custom interaction log, .csv or .jsonl");
ABSL_FLAG(std::string, columns, "",
          "The custom log's columns: user=COL,item=COL[,type=COL][,timestamp=COL]"
          "[,category=COL]; COL is a header name, or a 0-based number with "
          "--nocsv_header");
ABSL_FLAG(bool, csv_header, true, "The custom CSV log starts with a header row");
ABSL_FLAG(std::string, type_map, "",
          "Custom log type values to event types, e.g. pv=click,buy=purchase "
          "(unmapped values must be event type names)");
ABSL_FLAG(std::string, time_unit, "",
          "Units of the log's timestamps: ms, s or position; empty: the dataset's "
          "(s for taobao and ciao, position for amazon_beauty, ms for a custom log)");
ABSL_FLAG(int64_t, max_lines, -1, "Read only the first lines of the log (a slice)");
ABSL_FLAG(std::string, protocol, "dataset",
          "dataset (the dataset README's), loo (the last item is the test, the one "
          "before validation) or last_n (the last --n items by time)");
ABSL_FLAG(int, n, 1, "Items held out per user with --protocol=last_n");
ABSL_FLAG(bool, validation, false,
          "Score against the protocol's validation items, training on what precedes "
          "them, to choose settings without looking at the test items");
ABSL_FLAG(std::string, ks, "10,20", "Cut-offs K of every metric");
ABSL_FLAG(int, feed_count, 0, "GetFeed count; 0: the largest K");
ABSL_FLAG(int, factors, 0, "Embedding dimension (the server's too); 0: the dataset's");
ABSL_FLAG(int, iterations, 0, "ALS iterations; 0: the dataset's");
ABSL_FLAG(uint64_t, train_seed, 42, "Seed of the ALS initial vectors");
ABSL_FLAG(int, threads, 2, "Threads for training and baselines");
ABSL_FLAG(std::string, work_dir, "",
          "Where the data directory, server config and server log go; empty: a "
          "temporary directory, removed afterwards");
ABSL_FLAG(bool, keep_work_dir, false, "Keep the temporary work directory");
ABSL_FLAG(std::string, server_binary, "",
          "zhongcao_server to run; empty: the one of this build, or on PATH");
ABSL_FLAG(std::string, config, "",
          "A base server config (TOML, see deploy/zhongcao.toml), e.g. with "
          "experiments whose arms are scored apart");
ABSL_FLAG(std::vector<std::string>, set, {},
          "Feed setting overrides name=value, comma-separated or repeated, e.g. "
          "--set=rerank.mmr_lambda=1,rerank.creator_cap_per_page=100");
ABSL_FLAG(int, source_deadline_ms, 1000,
          "budgets.source_deadline_ms for the evaluated server unless --set gives it: "
          "replay measures what the pipeline ranks, not whether a shared machine "
          "keeps sources within the production deadline; 0: the config's");
ABSL_FLAG(std::string, force_arms, "",
          "experiment=arm,... forced on every request (GetFeedRequest.force_arms)");
ABSL_FLAG(std::string, index_factory, "HNSW32,Flat", "The server's FAISS index");
ABSL_FLAG(int, client_threads, 4, "Concurrent GetFeed callers");
ABSL_FLAG(bool, request_at_user_time, true,
          "Each request's now is a minute after the user's last training event; "
          "false: the server's clock");
ABSL_FLAG(bool, replay_in_time, false,
          "Replay the training events to the server in time order, asking for each "
          "test user's feed once every event before their time is recorded, so that "
          "trending and co-occurrence see no future; every item is listed from the "
          "log's start. Meant for logs with real times (taobao, ciao, a custom log)");
ABSL_FLAG(std::vector<std::string>, server_flags, {},
          "Extra zhongcao_server flags, comma-separated or repeated, e.g. "
          "--server_flags=--trending_tau_hours=2160");
ABSL_FLAG(bool, serve, true, "false: only the baselines, no server");
ABSL_FLAG(int, knn_neighbors, 100, "Neighbours kept per item by the item-kNN baseline");
ABSL_FLAG(int, max_users, 0, "Evaluate a seeded sample of this many test users; 0: all");
ABSL_FLAG(int, bootstrap, 200, "Bootstrap samples for coverage intervals");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the user sample and the bootstrap");
ABSL_FLAG(bool, train_ranker, false,
          "Also train the learned ranker (LambdaMART) on the validation users' feeds, "
          "labelled by their validation items, load it into the server and serve the "
          "test users again with it (system zhongcao_ranker)");
ABSL_FLAG(int, ranker_feed_count, 100, "Items per validation feed for --train_ranker");
ABSL_FLAG(int, ranker_rounds, 300, "--train_ranker: boosting rounds");
ABSL_FLAG(int, ranker_max_depth, 6, "--train_ranker: depth of each tree");
ABSL_FLAG(double, ranker_learning_rate, 0.1, "--train_ranker: shrinkage per tree");
ABSL_FLAG(double, ranker_holdout, 0.2,
          "--train_ranker: fraction of validation requests held out to compare the "
          "model with the weighted scorer (the figure to choose ranker settings by)");
ABSL_FLAG(std::string, json_out, "", "Also write everything as JSON here");

namespace {

using namespace zhongcao::evaluate;

absl::StatusOr<EvaluateOptions> OptionsFromFlags(const char* argv0) {
  EvaluateOptions o;
  o.input.dataset = absl::GetFlag(FLAGS_dataset);
  o.input.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.input.log = absl::GetFlag(FLAGS_log);
  o.input.columns = absl::GetFlag(FLAGS_columns);
  o.input.csv_header = absl::GetFlag(FLAGS_csv_header);
  o.input.type_map = absl::GetFlag(FLAGS_type_map);
  o.input.time_unit = absl::GetFlag(FLAGS_time_unit);
  o.input.max_lines = absl::GetFlag(FLAGS_max_lines);
  o.input.protocol = absl::GetFlag(FLAGS_protocol);
  o.input.n = absl::GetFlag(FLAGS_n);
  o.validation = absl::GetFlag(FLAGS_validation);
  o.ks.clear();
  for (absl::string_view k :
       absl::StrSplit(absl::GetFlag(FLAGS_ks), ',', absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(k, &value)) {
      return absl::InvalidArgumentError(absl::StrCat("--ks: '", k, "' is not a number"));
    }
    o.ks.push_back(value);
  }
  o.feed_count = absl::GetFlag(FLAGS_feed_count);
  o.factors = absl::GetFlag(FLAGS_factors);
  o.iterations = absl::GetFlag(FLAGS_iterations);
  o.train_seed = absl::GetFlag(FLAGS_train_seed);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.work_dir = absl::GetFlag(FLAGS_work_dir);
  o.keep_work_dir = absl::GetFlag(FLAGS_keep_work_dir);
  o.server_binary = absl::GetFlag(FLAGS_server_binary);
  o.serve = absl::GetFlag(FLAGS_serve);
  if (o.server_binary.empty() && o.serve) {
    o.server_binary = FindServerBinary("/proc/self/exe");
    if (o.server_binary.empty()) {
      return absl::NotFoundError(
          "no zhongcao_server beside this build or on PATH; pass --server_binary");
    }
  }
  (void)argv0;
  o.config_file = absl::GetFlag(FLAGS_config);
  for (const std::string& spec : absl::GetFlag(FLAGS_set)) {
    absl::StatusOr<std::pair<std::string, double>> s = ParseSettingOverride(spec);
    if (!s.ok()) return s.status();
    o.settings.push_back(*s);
  }
  if (const int deadline = absl::GetFlag(FLAGS_source_deadline_ms); deadline > 0) {
    bool given = false;
    for (const auto& [name, value] : o.settings)
      given |= name == "budgets.source_deadline_ms";
    if (!given) o.settings.emplace_back("budgets.source_deadline_ms", deadline);
  }
  for (absl::string_view pair :
       absl::StrSplit(absl::GetFlag(FLAGS_force_arms), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--force_arms: '", pair, "' must be experiment=arm"));
    }
    o.force_arms[kv.first] = kv.second;
  }
  o.index_factory = absl::GetFlag(FLAGS_index_factory);
  o.client_threads = absl::GetFlag(FLAGS_client_threads);
  o.request_at_user_time = absl::GetFlag(FLAGS_request_at_user_time);
  o.replay_in_time = absl::GetFlag(FLAGS_replay_in_time);
  o.server_args = absl::GetFlag(FLAGS_server_flags);
  o.knn_neighbors = absl::GetFlag(FLAGS_knn_neighbors);
  o.max_users = absl::GetFlag(FLAGS_max_users);
  o.bootstrap_samples = absl::GetFlag(FLAGS_bootstrap);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.train_ranker = absl::GetFlag(FLAGS_train_ranker);
  o.ranker_feed_count = absl::GetFlag(FLAGS_ranker_feed_count);
  o.ranker.rounds = absl::GetFlag(FLAGS_ranker_rounds);
  o.ranker.max_depth = absl::GetFlag(FLAGS_ranker_max_depth);
  o.ranker.learning_rate = absl::GetFlag(FLAGS_ranker_learning_rate);
  o.ranker.holdout_fraction = absl::GetFlag(FLAGS_ranker_holdout);
  o.ranker.threads = o.threads;
  o.ranker.seed = o.seed;
  o.ranker.label = "zhongcao_evaluate --train_ranker";
  o.progress = &std::cerr;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // --train_ranker boosts with XGBoost, whose OpenMP threads otherwise spin
  // between parallel regions on cores shared with the server (see
  // zhongcao_rank_train); libgomp reads this before main, so start again.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // on failure, carry on spinning
  }
  absl::SetProgramUsageMessage(
      "zhongcao_evaluate (--dataset=NAME | --log=FILE --columns=...) [--protocol=...]\n"
      "Offline replay: trains, loads a fresh data directory, starts zhongcao_server, "
      "asks each test user's feed over gRPC and scores it against popularity and "
      "item-kNN.");
  const std::string command = absl::StrJoin(argv, argv + argc, " ");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::cerr << "zhongcao_evaluate: unexpected argument " << args[1] << "\n";
    return 2;
  }
  // Abseil kept only the last --set and --server_flags given; both take them
  // all. (Given only in a --flagfile, they stay as Abseil parsed them.)
  for (auto [flag, name] :
       {std::pair{&FLAGS_set, "set"}, std::pair{&FLAGS_server_flags, "server_flags"}}) {
    std::vector<std::string> values = RepeatedFlagValues(argc, argv, name);
    if (!values.empty()) absl::SetFlag(flag, std::move(values));
  }
  absl::StatusOr<EvaluateOptions> options = OptionsFromFlags(argv[0]);
  if (!options.ok()) {
    std::cerr << "zhongcao_evaluate: " << options.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<EvaluationResult> result = Evaluate(*options);
  if (!result.ok()) {
    std::cerr << "zhongcao_evaluate: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << FormatTable(*result) << std::flush;
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    std::ofstream out(path);
    out << FormatJson(*result, command);
    if (!out.flush()) {
      std::cerr << "zhongcao_evaluate: " << path << ": write failed\n";
      return 1;
    }
  }
  return 0;
}
