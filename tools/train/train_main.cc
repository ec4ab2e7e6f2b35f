// zhongcao_train: trains user and item embeddings from interactions by
// implicit-feedback ALS, and evaluates them against a popularity ranking.
//
//   zhongcao_train --dataset=taobao --evaluate            # the README protocol
//   zhongcao_train --dataset=events --input=events.csv --out_dir=emb
//   zhongcao_import ... --embeddings=emb/items.npy --embedding_ids=emb/items.ids
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/train/als.h"
#include "tools/train/dataset_readers.h"
#include "tools/train/datasets.h"
#include "tools/train/embeddings_output.h"
#include "tools/train/evaluation.h"
#include "tools/train/feedback_matrix.h"
#include "tools/train/report.h"
#include "tools/train/scorers.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"

ABSL_FLAG(std::string, dataset, "",
          "taobao, ciao, amazon_beauty, or events (a CSV user_id,item_id,type,"
          "timestamp_ms with that header).");
ABSL_FLAG(std::string, input, "",
          "The dataset's file; by default the dataset's file under --data_dir.");
ABSL_FLAG(std::string, data_dir, "../shared/data", "Where the named datasets live.");
ABSL_FLAG(std::string, out_dir, "",
          "Train on every event and write items.npy, items.ids, users.npy and "
          "users.ids here.");
ABSL_FLAG(bool, evaluate, false,
          "Hold out per the dataset's protocol, train on the rest and compare "
          "ALS with popularity.");
ABSL_FLAG(std::string, holdout, "test",
          "With --evaluate: 'test', or 'validation' (train without the validation "
          "items too and score against them: for choosing settings).");
ABSL_FLAG(std::string, json_out, "", "With --evaluate: also write the report as JSON.");
ABSL_FLAG(int, factors, 0, "Vector dimension; 0: the dataset's default.");
ABSL_FLAG(double, regularization, 0, "ALS lambda; 0: the dataset's default.");
ABSL_FLAG(double, alpha, -1, "Confidence scale; negative: the dataset's default.");
ABSL_FLAG(int, iterations, 0, "ALS iterations; 0: the dataset's default.");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the initial vectors; a seed gives one model.");
ABSL_FLAG(int, threads, 2, "Threads; the model does not depend on it.");
ABSL_FLAG(std::string, weights, "",
          "Event weight overrides, e.g. click=1,purchase=8 (defaults: impression=0, "
          "click=1, like/save/share/comment=2, add_to_cart=3, purchase=5, rating=1).");
ABSL_FLAG(double, category_weight, -1,
          "Weight of item categories as extra matrix columns (0: off); negative: the "
          "dataset's default.");
ABSL_FLAG(double, category_score_weight, -1,
          "How much of its category's vector an item's vector adds; negative: the "
          "dataset's default.");
ABSL_FLAG(double, half_life, -1,
          "An event's weight halves for every half_life (in the input's timestamp "
          "units: seconds for taobao and ciao, positions for amazon_beauty, ms for "
          "events) before the user's latest event; 0: off; negative: the dataset's "
          "default.");
ABSL_FLAG(int64_t, max_lines, -1, "Read only this many lines of the input.");

namespace {

using namespace zhongcao::train;

constexpr char kUsage[] =
    "zhongcao_train --dataset=NAME [--input=FILE] (--evaluate | --out_dir=DIR)\n"
    "Trains user and item embeddings by implicit-feedback ALS.";

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Settings(const TrainSettings& t) {
  const AlsOptions& o = t.als;
  return absl::StrFormat(
      "factors=%d regularization=%g alpha=%g iterations=%d seed=%d threads=%d "
      "category_weight=%g category_score_weight=%g half_life=%g weights=%s",
      o.factors, o.regularization, o.alpha, o.iterations, o.seed, o.threads,
      t.categories.column_weight, t.categories.score_weight, t.half_life,
      t.weights.ToString());
}

absl::Status ApplyFlags(TrainSettings& t) {
  if (int f = absl::GetFlag(FLAGS_factors); f != 0) t.als.factors = f;
  if (double r = absl::GetFlag(FLAGS_regularization); r != 0) {
    t.als.regularization = static_cast<float>(r);
  }
  if (double a = absl::GetFlag(FLAGS_alpha); a >= 0) t.als.alpha = static_cast<float>(a);
  if (int n = absl::GetFlag(FLAGS_iterations); n != 0) t.als.iterations = n;
  t.als.seed = absl::GetFlag(FLAGS_seed);
  t.als.threads = absl::GetFlag(FLAGS_threads);
  if (double w = absl::GetFlag(FLAGS_category_weight); w >= 0) {
    t.categories.column_weight = static_cast<float>(w);
  }
  if (double w = absl::GetFlag(FLAGS_category_score_weight); w >= 0) {
    t.categories.score_weight = static_cast<float>(w);
  }
  if (double h = absl::GetFlag(FLAGS_half_life); h >= 0) t.half_life = h;
  if (absl::Status s = t.weights.Override(absl::GetFlag(FLAGS_weights)); !s.ok()) {
    return s;
  }
  return t.als.Validate();
}

absl::StatusOr<TrainedModel> TimedTrain(const InteractionLog& log,
                                        std::span<const Interaction> events,
                                        const TrainSettings& settings, double* seconds) {
  const int iterations = settings.als.iterations;
  const auto start = std::chrono::steady_clock::now();
  // A progress line that rewrites itself on a terminal, and one line in a log.
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  auto trained = Train(log, events, settings, [&](int it) {
    if (tty || it == iterations) {
      std::fprintf(stderr, "%sALS iteration %d/%d (%.1f s)%s", tty ? "\r" : "", it,
                   iterations, SecondsSince(start), it == iterations ? "\n" : "");
    }
  });
  *seconds = SecondsSince(start);
  return trained;
}

absl::Status RunEvaluation(const DatasetSpec& spec, const InteractionLog& log,
                           const std::string& input, const std::string& command) {
  const std::string holdout = absl::GetFlag(FLAGS_holdout);
  if (holdout != "test" && holdout != "validation") {
    return absl::InvalidArgumentError("--holdout must be 'test' or 'validation'");
  }
  const Split split = SplitByTime(log, spec.protocol);
  const bool test = holdout == "test";
  const std::vector<Interaction>& train =
      test ? split.train_with_validation : split.train;
  const std::vector<UserTargets> targets =
      GroupByUser(test ? split.test : split.validation);
  double als_seconds = 0;
  auto trained = TimedTrain(log, train, spec.train, &als_seconds);
  if (!trained.ok()) return trained.status();
  const FeedbackMatrix& feedback = trained->feedback;

  EvaluationReport report;
  report.command = command;
  report.dataset = spec.name;
  report.input = input;
  report.protocol = spec.protocol_text;
  report.held_out = holdout;
  report.users = log.users.size();
  report.items = log.items.size();
  report.events = static_cast<int64_t>(log.events.size());
  report.train_events = static_cast<int64_t>(train.size());
  report.train_pairs = feedback.entries();
  report.settings = Settings(spec.train);

  const int threads = spec.train.als.threads;
  const auto pop_start = std::chrono::steady_clock::now();
  PopularityScorer popularity(feedback);
  const double pop_seconds = SecondsSince(pop_start);
  report.methods.push_back(MethodReport{
      "popularity", Evaluate(popularity, feedback, targets, spec.ks, threads),
      pop_seconds});
  report.methods.push_back(MethodReport{
      "als", Evaluate(AlsScorer(trained->model), feedback, targets, spec.ks, threads),
      als_seconds});

  std::cout << FormatTable(report) << std::flush;
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    std::ofstream out(path);
    out << FormatJson(report);
    if (!out.flush()) return absl::InternalError(absl::StrCat(path, ": write failed"));
  }
  return absl::OkStatus();
}

absl::Status RunExport(const DatasetSpec& spec, const InteractionLog& log) {
  double seconds = 0;
  auto trained = TimedTrain(log, log.events, spec.train, &seconds);
  if (!trained.ok()) return trained.status();
  const std::string dir = absl::GetFlag(FLAGS_out_dir);
  auto counts = WriteEmbeddings(dir, log, trained->model);
  if (!counts.ok()) return counts.status();
  std::cout << absl::StrFormat(
      "trained on %d events in %.2f s (%s)\n"
      "wrote %s/items.npy + items.ids (%d items) and users.npy + users.ids (%d users), "
      "dimension %d\n",
      log.events.size(), seconds, Settings(spec.train), dir, counts->items, counts->users,
      spec.train.als.factors);
  return absl::OkStatus();
}

absl::Status Run(const std::string& command) {
  auto spec = FindDataset(absl::GetFlag(FLAGS_dataset));
  if (!spec.ok()) return spec.status();
  if (absl::Status s = ApplyFlags(spec->train); !s.ok()) return s;
  const bool evaluate = absl::GetFlag(FLAGS_evaluate);
  const bool export_vectors = !absl::GetFlag(FLAGS_out_dir).empty();
  if (!evaluate && !export_vectors) {
    return absl::InvalidArgumentError("nothing to do: give --evaluate and/or --out_dir");
  }
  std::string input = absl::GetFlag(FLAGS_input);
  if (input.empty()) {
    if (spec->file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--input is required for --dataset=", spec->name));
    }
    input = (std::filesystem::path(absl::GetFlag(FLAGS_data_dir)) / spec->file).string();
  }
  const auto read_start = std::chrono::steady_clock::now();
  auto log =
      ReadLogFile(spec->format, input, ReadOptions{absl::GetFlag(FLAGS_max_lines)});
  if (!log.ok()) return log.status();
  std::fprintf(stderr, "read %zu events of %d users on %d items in %.2f s\n",
               log->events.size(), log->users.size(), log->items.size(),
               SecondsSince(read_start));
  if (evaluate) {
    if (absl::Status s = RunEvaluation(*spec, *log, input, command); !s.ok()) return s;
  }
  if (export_vectors) return RunExport(*spec, *log);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  const std::string command = absl::StrJoin(argv, argv + argc, " ");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::cerr << "unexpected argument " << args[1] << "\n" << kUsage << "\n";
    return 2;
  }
  if (absl::Status s = Run(command); !s.ok()) {
    std::cerr << "zhongcao_train: " << s << "\n";
    return 1;
  }
  return 0;
}
