// The evaluation's input: a dataset of ../shared/data by name (read and
// split as its README says) or a custom CSV/JSONL log, with the split
// protocol, the training settings and the timestamps' unit.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/evaluate/custom_log.h"
#include "tools/evaluate/timeline.h"
#include "tools/train/interaction_log.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"

namespace zhongcao::evaluate {

struct InputOptions {
  std::string dataset;  // taobao, ciao, amazon_beauty, events; empty with `log`
  std::string data_dir = "../shared/data";
  std::string log;       // a custom log's path (or the events CSV)
  std::string columns;   // custom log: "user=...,item=...,..."
  std::string type_map;  // custom log: "pv=click,..."
  bool csv_header = true;
  std::string time_unit;   // "": the dataset's (ms for a custom log)
  int64_t max_lines = -1;  // a slice: the first lines only
  // "dataset" (the dataset's README protocol; for a custom log, "loo"),
  // "loo" (each user's last item is the test, the one before it validation,
  // both held out from training) or "last_n" (the user's last n items).
  std::string protocol = "dataset";
  int n = 1;
};

struct EvaluationInput {
  std::string name;    // the dataset's, or "custom"
  std::string source;  // the file read
  train::InteractionLog log;
  train::HoldOutProtocol protocol;
  std::string protocol_name;
  std::string protocol_text;
  train::TrainSettings train;  // the dataset's chosen settings
  TimeUnit time_unit = TimeUnit::kMilliseconds;
};

// NOT_FOUND when the dataset or file is missing, INVALID_ARGUMENT for a bad
// mapping, protocol or row (naming FILE:LINE).
absl::StatusOr<EvaluationInput> ReadInput(const InputOptions& options);

}  // namespace zhongcao::evaluate
