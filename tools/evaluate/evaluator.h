// The offline replay evaluation end to end: read a log, split it, train
// embeddings with tools/train's ALS, load the training part into a fresh
// data directory, start the real server on it, ask for every test user's
// feed over gRPC, rank the same users with the baselines, and score all of
// them alike; credit interleaved arms from the exposure log; optionally
// train the learned ranker on validation feeds first and serve the test
// again with it. Each step is its own file; this one only sequences them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/evaluate/exposure_credit.h"
#include "tools/evaluate/input.h"
#include "tools/evaluate/loader.h"
#include "tools/evaluate/ranker_validation.h"
#include "tools/evaluate/scoring.h"
#include "tools/evaluate/server_config.h"

namespace zhongcao::evaluate {

struct EvaluateOptions {
  InputOptions input;
  std::vector<int> ks = {10, 20};
  // Score against the protocol's validation items, training on what comes
  // before them, instead of the test items: for choosing settings without
  // looking at the test.
  bool validation = false;
  int feed_count = 0;  // GetFeed count; 0: the largest K

  // Training: 0 keeps the dataset's chosen setting.
  int factors = 0;
  int iterations = 0;
  uint64_t train_seed = 42;
  int threads = 2;  // training and baselines; results do not depend on it

  // Serving.
  std::filesystem::path work_dir;  // empty: a temporary one, removed after
  bool keep_work_dir = false;
  std::filesystem::path server_binary;
  std::string config_file;  // a base server config (experiments, settings)
  SettingOverrides settings;
  std::string index_factory = "HNSW32,Flat";
  std::vector<std::string> server_args;
  int client_threads = 4;
  // Each request's Context.now_ms is a minute after the user's last
  // training event (the moment the next item is to be predicted); false:
  // the server's clock.
  bool request_at_user_time = true;
  // Replays the training events to the running server in time order,
  // asking for each test user's feed at that user's time (timed_replay.h),
  // instead of loading every event first. Time-decayed signals then see no
  // future. Needs request_at_user_time; not with train_ranker.
  bool replay_in_time = false;
  std::map<std::string, std::string> force_arms;
  bool serve = true;  // false: baselines only, no server

  // Baselines and scoring.
  int knn_neighbors = 100;
  int max_users = 0;  // 0: every test user; else a seeded sample of them
  int bootstrap_samples = 200;
  uint64_t seed = 42;

  // The learned ranker: train LambdaMART on the validation users' feeds
  // (served by a server holding what precedes the validation items) labelled
  // by their validation items, load it into the test server and serve the
  // test users again with it (system "zhongcao_ranker").
  bool train_ranker = false;
  int ranker_feed_count = 100;  // items per validation feed
  rank_train::RankerTrainOptions ranker;

  std::ostream* progress = nullptr;  // progress lines, e.g. &std::cerr
};

struct SystemResult {
  // "zhongcao", "zhongcao_ranker", "popularity", "item_knn", "als_exact"
  std::string system;
  std::string arm;                 // "all", or "experiment/arm"
  std::vector<MetricsAt> metrics;  // one per K
};

struct EvaluationResult {
  std::string dataset;
  std::string source;
  std::string protocol;
  std::string protocol_text;
  std::string held_out = "test";  // or "validation"
  std::string time_unit;
  int64_t users = 0, items = 0, events = 0;
  int64_t train_events = 0, test_events = 0;
  int64_t test_users = 0;       // users with a held-out item
  int64_t evaluated_users = 0;  // of them, the ones asked for (max_users)
  std::vector<int> ks;
  int feed_count = 0;
  std::vector<std::pair<std::string, std::string>> settings;  // what ran, by name
  std::string server_config;                                  // the generated TOML
  LoadCounts load;
  std::vector<std::pair<std::string, double>> phase_seconds;  // in order
  // Server answers (of every pass over the test users): how many had a
  // source left out, had fewer than feed_count items, and training items
  // served (the feed should mask them).
  int64_t degraded_responses = 0;
  int64_t short_responses = 0;
  int64_t seen_items_served = 0;
  std::vector<SystemResult> systems;
  // Interleaved experiments of the served feeds, credited from the exposure
  // log; `system` names the pass ("zhongcao", "zhongcao_ranker").
  struct Interleaved {
    std::string system;
    InterleavedFeedCredit credit;
  };
  std::vector<Interleaved> interleaved;
  std::optional<RankerValidationResult> ranker;  // with train_ranker
  int ranker_feed_count = 0;
};

absl::StatusOr<EvaluationResult> Evaluate(const EvaluateOptions& options);

}  // namespace zhongcao::evaluate
