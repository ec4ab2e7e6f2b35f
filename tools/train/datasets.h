// The datasets the trainer knows by name: where each lives under a data
// directory, how to read it, the evaluation protocol its README prescribes,
// and the training settings chosen for it on its validation split.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/train/dataset_readers.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"

namespace zhongcao::train {

struct DatasetSpec {
  std::string name;
  LogFormat format;
  std::string file;  // under the data directory; empty when it must be given
  HoldOutProtocol protocol;
  std::string protocol_text;  // the protocol in words, for reports
  std::vector<int> ks;        // the cut-offs reported
  TrainSettings train;
};

// "taobao", "ciao", "amazon_beauty", or "events" (a CSV of the service's
// events, see LogFormat::kEventsCsv).
absl::StatusOr<DatasetSpec> FindDataset(absl::string_view name);
std::vector<std::string> DatasetNames();

}  // namespace zhongcao::train
