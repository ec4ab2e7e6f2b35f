// Parsers of interaction logs into an InteractionLog: the public datasets in
// ../shared/data (see its README) and the service's own events as CSV.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::train {

enum class LogFormat {
  // Taobao UserBehavior: `user,item,category,behavior,unix_ts`, no header;
  // behavior pv, cart, fav or buy (read as click, add_to_cart, save, purchase).
  // Items get their categories.
  kTaobaoCsv,
  // Ciao rating.txt: `user product category rating helpfulness unix_ts`,
  // whitespace-separated numbers, often in scientific notation. Items get
  // their categories; ratings are kRating events with the rating as value.
  kCiaoRatings,
  // One user per line, `user item item ...` in time order (Amazon Beauty as
  // sequential-recommendation papers ship it); the timestamp is the position.
  kSequences,
  // `user_id,item_id,type,timestamp_ms` with that header (columns in any
  // order, others ignored); type as in EventTypeFromName().
  kEventsCsv,
};

struct ReadOptions {
  // Read only this many non-blank lines (a header counts): a quick slice.
  int64_t max_lines = -1;
};

// Errors are INVALID_ARGUMENT and begin with `source:line:`. Every reader
// accepts LF or CRLF line ends and skips blank lines.
absl::StatusOr<InteractionLog> ReadLog(LogFormat format, std::istream& in,
                                       absl::string_view source,
                                       const ReadOptions& options = {});
absl::StatusOr<InteractionLog> ReadLogFile(LogFormat format,
                                           const std::filesystem::path& file,
                                           const ReadOptions& options = {});

}  // namespace zhongcao::train
