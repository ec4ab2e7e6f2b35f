// A bulk import: items, users, creators and events from CSV or JSON Lines
// files, and embeddings keyed by id, validated and written to a Sink in
// batches. Either every row is good and all are loaded, or (by the user's
// choice) nothing is loaded or only the good rows are; each bad row is
// reported as FILE:LINE: field: message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "tools/import/batch_loader.h"
#include "tools/import/sink.h"
#include "zhongcao/v1/ingest.pb.h"

namespace zhongcao::tools {

enum class OnError {
  // Check every row first (locally and by dry runs against the service)
  // and load nothing if any is bad.
  kAbort,
  // Load the good rows; report and leave out the bad ones.
  kSkip,
};

struct ImportOptions {
  // Files of rows, each optional (.csv or .jsonl); loaded in the order
  // creators, items, users, events, so that events can name new items.
  std::filesystem::path items, users, creators, events;
  // Embeddings keyed by id: a .npy or .fvecs matrix and its ids file. They
  // are joined onto the rows of `embeddings_for`'s file when that is given,
  // and replace stored embeddings (SetEmbeddings) when it is not.
  std::filesystem::path embeddings, embedding_ids;
  v1::EmbeddingTarget embeddings_for = v1::EMBEDDING_TARGET_ITEMS;
  OnError on_error = OnError::kAbort;
};

struct ImportReport {
  int64_t rows = 0;  // rows read (once each, however many passes)
  int64_t bad = 0;   // rows refused
  // Rows written by kind ("items", "users", "creators", "events",
  // "embeddings").
  std::map<std::string, int64_t> loaded;
  // kAbort found bad rows: nothing was written.
  bool refused = false;
  // Not OK when the import stopped for something other than a bad row (an
  // unreadable file, the server gone); `loaded` tells what was written.
  absl::Status status;

  int64_t total_loaded() const;
};

class ImportObserver {
 public:
  virtual ~ImportObserver() = default;
  virtual void OnBadRow(const BadRow& row) = 0;
  // A pass begins: "checking" or "loading", over `total_bytes` of files.
  virtual void OnPass(const std::string& /*phase*/, uint64_t /*total_bytes*/) {}
  // `rows` rows and `bytes` of the pass's bytes are done.
  virtual void OnProgress(int64_t /*rows*/, uint64_t /*bytes*/) {}
  // Every row is written; the sink is making them durable (offline: an
  // index build), which may take a while.
  virtual void OnFinishing() {}
};

ImportReport Import(const ImportOptions& options, Sink& sink, ImportObserver& observer);

}  // namespace zhongcao::tools
