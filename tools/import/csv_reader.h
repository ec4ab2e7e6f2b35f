// Reads CSV records (RFC 4180 quoting, via libcsv) with the line each
// record starts on, so that importers can report bad rows by line number.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct csv_parser;

namespace zhongcao::tools {

struct CsvRecord {
  int64_t line = 0;  // 1-based line the record starts on
  std::vector<std::string> fields;
  // Set when the record's quoting is malformed; `fields` is then empty.
  std::string error;
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record; false at the end of input. Blank lines between
  // records are skipped, and so are spaces and tabs around an unquoted
  // field (libcsv's rule; quote a value to keep them). A record with
  // malformed quoting comes back with `error` set, and reading goes on at
  // the next line.
  absl::StatusOr<bool> Next(CsvRecord& record);

  // Bytes consumed from the stream so far, for progress.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  static void OnField(void* data, size_t size, void* self);
  static void OnRecordEnd(int terminator, void* self);
  void ResetParser();
  // Feeds one more line to the parser; false at the end of input.
  absl::StatusOr<bool> FeedLine();

  std::istream& in_;
  csv_parser* parser_;
  std::deque<CsvRecord> ready_;
  CsvRecord current_;
  bool at_record_start_ = true;
  bool finished_ = false;
  int64_t line_ = 0;
  uint64_t bytes_read_ = 0;
  std::string buffer_;
};

}  // namespace zhongcao::tools
