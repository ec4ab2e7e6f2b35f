// Reads the rows of one import file into protobuf messages: CSV with a
// header row (.csv, see csv_mapping.h) or JSON Lines, one message per line
// in the protobuf JSON mapping (.jsonl, .ndjson). Each row carries the line
// it starts on, so that a bad row is reported as FILE:LINE.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace zhongcao::tools {

struct RowInfo {
  int64_t line = 0;  // 1-based
  // "field: message" when the row could not be read; the message is then
  // not to be used.
  std::string error;
};

class RowReader {
 public:
  // Opens `file` for rows of `type`, choosing the format by extension. A
  // CSV header is read here, so errors in it (unknown columns) come now.
  static absl::StatusOr<std::unique_ptr<RowReader>> Open(
      const std::filesystem::path& file, const google::protobuf::Descriptor& type);
  virtual ~RowReader() = default;

  // Reads the next row into `row` (cleared first); false at the end of the
  // file. A row that cannot be read comes back with `info.error` set; only
  // reading the file itself failing is an error status.
  virtual absl::StatusOr<bool> Next(google::protobuf::Message& row, RowInfo& info) = 0;

  // Bytes of the file consumed so far and in all, for progress.
  virtual uint64_t bytes_read() const = 0;
  uint64_t file_bytes() const { return file_bytes_; }

 protected:
  uint64_t file_bytes_ = 0;
};

// True when `file` names a format RowReader reads.
bool IsRowFile(const std::filesystem::path& file);

}  // namespace zhongcao::tools
