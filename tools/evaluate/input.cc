#include "tools/evaluate/input.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tools/train/dataset_readers.h"
#include "tools/train/datasets.h"

namespace zhongcao::evaluate {
namespace {

absl::Status ChooseProtocol(const InputOptions& o, EvaluationInput& in) {
  const bool custom = in.name == "custom";
  if (o.protocol == "dataset" && !custom) {
    in.protocol_name = "dataset";
    return absl::OkStatus();  // the DatasetSpec's, already in place
  }
  if (o.protocol == "loo" || (o.protocol == "dataset" && custom)) {
    in.protocol = train::HoldOutProtocol{};
    in.protocol.eligible = [](const train::Interaction&) { return true; };
    in.protocol.test_items = 1;
    in.protocol.validation_items = 1;
    in.protocol_name = "loo";
    in.protocol_text =
        "leave-one-out: each user's last item by time is the test and the one before "
        "it validation; training uses everything but the test";
    return absl::OkStatus();
  }
  if (o.protocol == "last_n") {
    if (o.n < 1) return absl::InvalidArgumentError("--n: must be at least 1");
    in.protocol = train::HoldOutProtocol{};
    in.protocol.eligible = [](const train::Interaction&) { return true; };
    in.protocol.test_items = o.n;
    in.protocol.validation_items = 0;
    in.protocol_name = absl::StrCat("last_n(", o.n, ")");
    in.protocol_text = absl::StrCat("last-N by time: each user's last ", o.n,
                                    " distinct items are the test; the rest train");
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--protocol: '", o.protocol, "', expected dataset, loo or last_n"));
}

}  // namespace

absl::StatusOr<EvaluationInput> ReadInput(const InputOptions& o) {
  EvaluationInput in;
  if (o.dataset.empty() && o.log.empty()) {
    return absl::InvalidArgumentError("give --dataset=NAME or --log=FILE");
  }
  if (!o.dataset.empty() && o.dataset != "events") {
    if (!o.log.empty()) {
      return absl::InvalidArgumentError("give --dataset or --log, not both");
    }
    absl::StatusOr<train::DatasetSpec> spec = train::FindDataset(o.dataset);
    if (!spec.ok()) return spec.status();
    const std::filesystem::path file = std::filesystem::path(o.data_dir) / spec->file;
    if (!std::filesystem::is_regular_file(file)) {
      return absl::NotFoundError(absl::StrCat(
          "dataset ", o.dataset, ": ", file.string(),
          " not found (the datasets live in ../shared/data; pass --data_dir)"));
    }
    absl::StatusOr<train::InteractionLog> log =
        train::ReadLogFile(spec->format, file, train::ReadOptions{o.max_lines});
    if (!log.ok()) return log.status();
    in.name = spec->name;
    in.source = file.string();
    in.log = *std::move(log);
    in.protocol = spec->protocol;
    in.protocol_text = spec->protocol_text;
    in.train = spec->train;
    in.time_unit = spec->format == train::LogFormat::kSequences ? TimeUnit::kPositions
                                                                : TimeUnit::kSeconds;
  } else if (o.dataset == "events") {
    // The service's own events CSV, as zhongcao_train reads it.
    absl::StatusOr<train::DatasetSpec> spec = train::FindDataset("events");
    if (!spec.ok()) return spec.status();
    if (o.log.empty()) return absl::InvalidArgumentError("--dataset=events needs --log");
    if (!std::filesystem::is_regular_file(o.log)) {
      return absl::NotFoundError(absl::StrCat(o.log, ": not found"));
    }
    absl::StatusOr<train::InteractionLog> log =
        train::ReadLogFile(spec->format, o.log, train::ReadOptions{o.max_lines});
    if (!log.ok()) return log.status();
    in.name = "events";
    in.source = o.log;
    in.log = *std::move(log);
    in.protocol = spec->protocol;
    in.protocol_text = spec->protocol_text;
    in.train = spec->train;
    in.time_unit = TimeUnit::kMilliseconds;
  } else {
    if (o.columns.empty()) {
      return absl::InvalidArgumentError(
          "--log needs --columns, e.g. --columns=user=user_id,item=item_id,type=event,"
          "timestamp=ts");
    }
    CustomLogOptions custom;
    custom.path = o.log;
    custom.csv_header = o.csv_header;
    custom.max_lines = o.max_lines;
    absl::StatusOr<ColumnMapping> columns = ParseColumnMapping(o.columns);
    if (!columns.ok()) return columns.status();
    custom.columns = *std::move(columns);
    absl::StatusOr<std::map<std::string, train::EventType>> types =
        ParseTypeMap(o.type_map);
    if (!types.ok()) return types.status();
    custom.types = *std::move(types);
    absl::StatusOr<train::InteractionLog> log = ReadCustomLog(custom);
    if (!log.ok()) return log.status();
    in.name = "custom";
    in.source = o.log;
    in.log = *std::move(log);
    in.time_unit =
        custom.columns.timestamp.empty() ? TimeUnit::kPositions : TimeUnit::kMilliseconds;
  }
  if (!o.time_unit.empty()) {
    absl::StatusOr<TimeUnit> unit = ParseTimeUnit(o.time_unit);
    if (!unit.ok()) return unit.status();
    in.time_unit = *unit;
  }
  if (absl::Status s = ChooseProtocol(o, in); !s.ok()) return s;
  return in;
}

}  // namespace zhongcao::evaluate
