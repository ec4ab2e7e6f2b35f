// zhongcao_rank_train: trains the learned ranker (LambdaMART with XGBoost)
// from ranking examples and writes a model file the server loads.
//
//   zhongcao_rank_train --examples=examples.jsonl --model=ranker.json
//   zhongcao_rank_train --from_server=localhost:50051 --since_ms=... --model=r.json
//   zhongcao_rank_train --from_server=localhost:50051 --write_examples=ex.jsonl
//   zhongcao_rank_train --synthetic_groups=50000 --model=/tmp/ranker.json  # timing
//   grpc: AdminService.LoadRankerModel {path: "ranker.json"}
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "ranking/scorer/ranking_features.h"
#include "tools/rank_train/ranker_trainer.h"
#include "tools/rank_train/ranking_examples.h"
#include "tools/rank_train/server_examples.h"

ABSL_FLAG(
    std::string, examples, "",
    "JSONL ranking examples, one a line: {\"request_id\": ..., \"features\": "
    "{name: value, ...}, \"label\": 0..3} (see tools/rank_train/ranking_examples.h)");
ABSL_FLAG(std::string, from_server, "",
          "Instead of --examples: host:port of a running server whose exposure log "
          "(AdminService.ReadExposures) is joined with its outcome log (ReadOutcomes) "
          "on (request id, item id)");
ABSL_FLAG(int64_t, since_ms, 0,
          "--from_server: exposures served from this Unix ms on (inclusive); outcomes "
          "are read from here to the end of the log");
ABSL_FLAG(int64_t, until_ms, 0,
          "--from_server: exposures served before this Unix ms (exclusive); 0: up to "
          "now");
ABSL_FLAG(bool, keep_requests_without_outcomes, false,
          "--from_server: also make examples of responses that drew no outcome (they "
          "teach LambdaMART nothing, and are most of a log)");
ABSL_FLAG(std::string, write_examples, "",
          "--from_server: also write the joined examples here as JSONL (the --examples "
          "format); without --model, only write them");
ABSL_FLAG(int, synthetic_groups, 0,
          "Instead of --examples: this many synthetic requests whose label follows one "
          "feature (for timing and smoke tests)");
ABSL_FLAG(int, synthetic_group_size, 20, "Candidates per synthetic request");
ABSL_FLAG(std::string, model, "", "Where to write the model (.json: JSON, else binary)");
ABSL_FLAG(std::string, objective, "rank:ndcg",
          "rank:ndcg (LambdaMART, the default), rank:pairwise or rank:map");
ABSL_FLAG(int, rounds, 300, "Boosting rounds (trees)");
ABSL_FLAG(double, learning_rate, 0.1, "Shrinkage per tree (eta)");
ABSL_FLAG(int, max_depth, 6, "Depth of each tree");
ABSL_FLAG(double, min_child_weight, 1, "Minimum hessian in a leaf");
ABSL_FLAG(double, subsample, 1, "Rows sampled per tree");
ABSL_FLAG(int, threads, 2, "Training threads");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the hold-out split and sampling");
ABSL_FLAG(double, holdout, 0.2,
          "Fraction of requests held out to compare the model with the weighted scorer; "
          "0: train on all");
ABSL_FLAG(int, ndcg_at, 10, "K of the reported NDCG@K");
ABSL_FLAG(std::string, label, "", "Free text stored in the model and shown by GetStatus");
ABSL_FLAG(bool, verbose, false, "Print the held-out NDCG every 50 rounds");

namespace {

// Joins the server's logs into examples, writes them when asked, and
// builds the training set.
absl::StatusOr<zhongcao::rank_train::RankingDataset> FromServer(
    const std::string& address) {
  namespace rt = zhongcao::rank_train;
  auto stub =
      zhongcao::v1::AdminService::NewStub(zhongcao::log_reader::LogChannel(address));
  zhongcao::log_reader::LogRange range;
  range.since_ms = absl::GetFlag(FLAGS_since_ms);
  range.until_ms = absl::GetFlag(FLAGS_until_ms);
  rt::ExampleJoinOptions options;
  options.requests_with_outcomes_only =
      !absl::GetFlag(FLAGS_keep_requests_without_outcomes);
  absl::StatusOr<rt::JoinedExamples> joined =
      rt::ExamplesFromServer(*stub, range, options);
  if (!joined.ok()) return joined.status();
  const rt::ExampleJoinStats& s = joined->stats;
  std::fprintf(stderr,
               "zhongcao_rank_train: %s: %lld responses (%lld items), %lld outcomes; "
               "%lld examples in %lld requests (%lld with an outcome, %lld positive "
               "examples); left out %lld requests without an outcome and %lld items "
               "logged with another feature list\n",
               address.c_str(), static_cast<long long>(s.exposures),
               static_cast<long long>(s.served_items),
               static_cast<long long>(joined->outcomes),
               static_cast<long long>(s.examples), static_cast<long long>(s.requests),
               static_cast<long long>(s.requests_with_outcome),
               static_cast<long long>(s.positive_examples),
               static_cast<long long>(s.skipped_requests),
               static_cast<long long>(s.skipped_other_features));
  if (const std::string path = absl::GetFlag(FLAGS_write_examples); !path.empty()) {
    std::ofstream out(path);
    for (const rt::RankingExample& e : joined->examples) {
      out << rt::RankingExampleJson(e) << "\n";
    }
    if (!out.flush()) return absl::InternalError(path + ": write failed");
  }
  if (joined->examples.empty()) {
    return absl::FailedPreconditionError(
        "no examples: no response in the range drew an outcome (events name the "
        "response they follow with Event.request_id)");
  }
  return rt::BuildRankingDataset(std::move(joined->examples));
}

}  // namespace

int main(int argc, char** argv) {
  // XGBoost's OpenMP threads spin between parallel regions unless told
  // otherwise, and libgomp reads that when it loads, before main. On cores
  // shared with anything else, spinning made boosting 20x slower (3.6 s
  // against 0.2 s for 30 rounds over 10k rows, 2 threads, during a build);
  // on idle cores sleeping costs little. So start again with it set.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // on failure, carry on spinning
  }
  absl::SetProgramUsageMessage(
      "Trains a LambdaMART ranking model from JSONL ranking examples; the server loads "
      "it "
      "with --ranker_model, [ranker] model in its config, or "
      "AdminService.LoadRankerModel.");
  absl::ParseCommandLine(argc, argv);
  namespace rt = zhongcao::rank_train;
  const std::string model_path = absl::GetFlag(FLAGS_model);
  const std::string examples_out = absl::GetFlag(FLAGS_write_examples);
  const std::string server = absl::GetFlag(FLAGS_from_server);
  if (!examples_out.empty() && server.empty()) {
    std::fprintf(stderr, "zhongcao_rank_train: --write_examples needs --from_server\n");
    return 2;
  }
  if (model_path.empty() && examples_out.empty()) {
    std::fprintf(stderr, "zhongcao_rank_train: --model is required\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<rt::RankingDataset> data;
  if (const int groups = absl::GetFlag(FLAGS_synthetic_groups); groups > 0) {
    data = rt::BuildRankingDataset(rt::SyntheticRankingExamples(
        groups, absl::GetFlag(FLAGS_synthetic_group_size), /*signal_feature=*/0,
        /*noise=*/0.2, absl::GetFlag(FLAGS_seed)));
  } else if (!server.empty()) {
    data = FromServer(server);
    if (data.ok() && model_path.empty()) return 0;
  } else if (!absl::GetFlag(FLAGS_examples).empty()) {
    data = rt::ReadRankingExamplesFile(absl::GetFlag(FLAGS_examples));
  } else {
    std::fprintf(stderr,
                 "zhongcao_rank_train: give --examples, --from_server or "
                 "--synthetic_groups\n");
    return 2;
  }
  if (!data.ok()) {
    std::fprintf(stderr, "zhongcao_rank_train: %s\n", data.status().ToString().c_str());
    return 1;
  }
  const double read_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  rt::RankerTrainOptions options;
  options.objective = absl::GetFlag(FLAGS_objective);
  options.rounds = absl::GetFlag(FLAGS_rounds);
  options.learning_rate = absl::GetFlag(FLAGS_learning_rate);
  options.max_depth = absl::GetFlag(FLAGS_max_depth);
  options.min_child_weight = absl::GetFlag(FLAGS_min_child_weight);
  options.subsample = absl::GetFlag(FLAGS_subsample);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.holdout_fraction = absl::GetFlag(FLAGS_holdout);
  options.ndcg_at = absl::GetFlag(FLAGS_ndcg_at);
  options.label = absl::GetFlag(FLAGS_label);
  options.verbose = absl::GetFlag(FLAGS_verbose);
  absl::StatusOr<rt::RankerTrainReport> report =
      rt::TrainRanker(*data, options, model_path);
  if (!report.ok()) {
    std::fprintf(stderr, "zhongcao_rank_train: %s\n", report.status().ToString().c_str());
    return 1;
  }
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("features        %s (version %s)\n",
              absl::StrJoin(zhongcao::ranking::RankingFeatureNames(), ",").c_str(),
              zhongcao::ranking::RankingFeatureVersion().c_str());
  std::printf("train           %lld examples in %lld requests\n",
              static_cast<long long>(report->train_rows),
              static_cast<long long>(report->train_groups));
  std::printf(
      "held out        %lld examples in %lld requests (%lld with a positive label)\n",
      static_cast<long long>(report->holdout_rows),
      static_cast<long long>(report->holdout_groups),
      static_cast<long long>(report->holdout_groups_judged));
  if (report->holdout_groups_judged > 0) {
    std::printf("NDCG@%d held out  model %.4f   weighted scorer %.4f\n", options.ndcg_at,
                report->model_ndcg, report->weighted_ndcg);
  }
  std::printf(
      "time            read %.1f s, boosting %.1f s (%d rounds, %d threads), total %.1f "
      "s\n",
      read_seconds, report->train_seconds, options.rounds, options.threads,
      total_seconds);
  std::printf("model           %s (%s, %s)\n", model_path.c_str(),
              report->model_version.c_str(), options.objective.c_str());
  return 0;
}
