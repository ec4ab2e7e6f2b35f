// Reads an interaction log the evaluator does not know by name: CSV (with a
// header, or columns by 0-based number) or JSON Lines, with a mapping from
// the log's columns to user, item and the optional type, timestamp and
// category.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::evaluate {

// Column names (or, for a CSV without header, 0-based numbers); empty when
// the log has no such column.
struct ColumnMapping {
  std::string user;
  std::string item;
  std::string type;       // no column: every event is an untyped interaction
  std::string timestamp;  // no column: the line number orders each user's events
  std::string category;
};

// "user=uid,item=sku,type=action,timestamp=ts,category=cat"; user and item
// are required.
absl::StatusOr<ColumnMapping> ParseColumnMapping(absl::string_view spec);

struct CustomLogOptions {
  std::filesystem::path path;  // .csv, or .jsonl / .ndjson / .json
  ColumnMapping columns;
  bool csv_header = true;
  // Type values to event types, e.g. "pv" -> kClick; a value not here is
  // read by train::EventTypeFromName ("purchase", "EVENT_TYPE_CLICK", ...).
  std::map<std::string, train::EventType> types;
  int64_t max_lines = -1;  // non-blank lines read, a header included
};

// "pv=click,buy=purchase".
absl::StatusOr<std::map<std::string, train::EventType>> ParseTypeMap(
    absl::string_view spec);

// NOT_FOUND for a missing file; INVALID_ARGUMENT naming FILE:LINE and the
// column for a bad row, or the column for a mapping the header lacks.
absl::StatusOr<train::InteractionLog> ReadCustomLog(const CustomLogOptions& options);

}  // namespace zhongcao::evaluate
