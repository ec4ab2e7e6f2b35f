// zhongcao_import: bulk import of items, users, creators, events and
// embeddings from CSV, JSON Lines, .npy and .fvecs files, into a running
// server (--target) or a data directory offline (--data_dir).
//
// Exit status: 0 when everything asked for was loaded (with --on_error=skip,
// bad rows reported and left out); 1 when bad rows made --on_error=abort
// load nothing; 2 on any other error (usage, unreadable file, server).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/import/grpc_sink.h"
#include "tools/import/importer.h"
#include "tools/import/node_sink.h"
#include "tools/import/progress.h"

ABSL_FLAG(std::string, target, "", "host:port of a running server to import into");
ABSL_FLAG(std::string, data_dir, "",
          "Data directory to import into offline (no server may be running on it)");
ABSL_FLAG(int, dim, 64, "With --data_dir: the embedding dimension of the data directory");
ABSL_FLAG(std::string, index_factory, "HNSW32,Flat",
          "With --data_dir: FAISS index_factory string, as the server is run with");
ABSL_FLAG(std::string, items, "", "Items file (.csv or .jsonl)");
ABSL_FLAG(std::string, users, "", "Users file (.csv or .jsonl)");
ABSL_FLAG(std::string, creators, "", "Creators file (.csv or .jsonl)");
ABSL_FLAG(std::string, events, "", "Events file (.csv or .jsonl)");
ABSL_FLAG(std::string, embeddings, "",
          "Embeddings keyed by id (.npy or .fvecs), with --embedding_ids");
ABSL_FLAG(std::string, embedding_ids, "", "Ids of --embeddings' rows, one per line");
ABSL_FLAG(std::string, embeddings_for, "items",
          "items|users: whose embeddings --embeddings holds. Joined onto the rows of "
          "--items (--users) when given, else they replace stored embeddings");
ABSL_FLAG(std::string, on_error, "abort",
          "abort: check every row first and load nothing if any is bad; "
          "skip: load the good rows and report the bad ones");

namespace zhongcao::tools {
namespace {

constexpr int kExitRefused = 1;
constexpr int kExitError = 2;

// Bad rows and progress go to stderr, through one Progress so that a bad
// row never lands in the middle of the progress line.
class StderrObserver final : public ImportObserver {
 public:
  explicit StderrObserver(Progress& progress) : progress_(progress) {}
  void OnBadRow(const BadRow& row) override { progress_.Print(ToString(row)); }
  void OnPass(const std::string& phase, uint64_t total_bytes) override {
    progress_.Start(phase, total_bytes);
  }
  void OnProgress(int64_t rows, uint64_t bytes) override {
    progress_.Update(rows, bytes);
  }

 private:
  Progress& progress_;
};

std::string Loaded(const ImportReport& report) {
  std::vector<std::string> parts;
  for (const auto& [kind, n] : report.loaded) parts.push_back(absl::StrCat(n, " ", kind));
  return parts.empty() ? "nothing" : absl::StrJoin(parts, ", ");
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "zhongcao_import: %s\n", message.c_str());
  return kExitError;
}

int Main() {
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (target.empty() == data_dir.empty()) {
    return Fail("name exactly one of --target=HOST:PORT and --data_dir=DIR");
  }
  ImportOptions options;
  options.items = absl::GetFlag(FLAGS_items);
  options.users = absl::GetFlag(FLAGS_users);
  options.creators = absl::GetFlag(FLAGS_creators);
  options.events = absl::GetFlag(FLAGS_events);
  options.embeddings = absl::GetFlag(FLAGS_embeddings);
  options.embedding_ids = absl::GetFlag(FLAGS_embedding_ids);
  const std::string embeddings_for = absl::GetFlag(FLAGS_embeddings_for);
  if (embeddings_for == "items") {
    options.embeddings_for = v1::EMBEDDING_TARGET_ITEMS;
  } else if (embeddings_for == "users") {
    options.embeddings_for = v1::EMBEDDING_TARGET_USERS;
  } else {
    return Fail("--embeddings_for must be items or users, got \"" + embeddings_for +
                "\"");
  }
  const std::string on_error = absl::GetFlag(FLAGS_on_error);
  if (on_error == "abort") {
    options.on_error = OnError::kAbort;
  } else if (on_error == "skip") {
    options.on_error = OnError::kSkip;
  } else {
    return Fail("--on_error must be abort or skip, got \"" + on_error + "\"");
  }

  std::unique_ptr<Sink> sink;
  if (!target.empty()) {
    absl::StatusOr<std::unique_ptr<GrpcSink>> grpc = GrpcSink::Connect(target);
    if (!grpc.ok()) return Fail(absl::StrCat(target, ": ", grpc.status().message()));
    sink = *std::move(grpc);
  } else {
    service::NodeOptions node_options;
    node_options.data_dir = data_dir;
    node_options.index.dim = absl::GetFlag(FLAGS_dim);
    node_options.index.factory = absl::GetFlag(FLAGS_index_factory);
    absl::StatusOr<std::unique_ptr<NodeSink>> node = NodeSink::Open(node_options);
    if (!node.ok()) return Fail(std::string(node.status().message()));
    sink = *std::move(node);
  }

  Progress progress(std::cerr, isatty(STDERR_FILENO) == 1);
  StderrObserver observer(progress);
  const double started = Progress::SteadySeconds();
  const ImportReport report = Import(options, *sink, observer);
  const double seconds = Progress::SteadySeconds() - started;
  progress.Clear();

  if (!report.status.ok()) {
    Fail(std::string(report.status.message()));
    if (report.total_loaded() > 0) {
      Fail(absl::StrCat("loaded before that: ", Loaded(report)));
    }
    return kExitError;
  }
  if (report.refused) {
    Fail(absl::StrCat("refused: ", report.bad, " bad rows of ", report.rows,
                      "; nothing was loaded (--on_error=skip loads the good rows)"));
    return kExitRefused;
  }
  std::string summary =
      absl::StrFormat("loaded %s in %.1f s (%.0f rows/s)", Loaded(report), seconds,
                      seconds > 0 ? report.total_loaded() / seconds : 0.0);
  if (report.bad > 0) absl::StrAppend(&summary, "; skipped ", report.bad, " bad rows");
  std::fprintf(stderr, "zhongcao_import: %s\n", summary.c_str());
  return 0;
}

}  // namespace
}  // namespace zhongcao::tools

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Imports items, users, creators, events and embeddings into zhongcao.\n"
      "  zhongcao_import --target=localhost:50051 --items=items.csv "
      "--events=events.jsonl\n"
      "  zhongcao_import --data_dir=data --items=items.jsonl --embeddings=items.npy "
      "--embedding_ids=items.ids\n"
      "See README.md, \"Importing data\", for the formats.");
  absl::ParseCommandLine(argc, argv);
  return zhongcao::tools::Main();
}
