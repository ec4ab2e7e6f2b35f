#include "tools/import/csv_reader.h"

#include <csv.h>

#include <utility>

#include "absl/status/status.h"

namespace zhongcao::tools {
namespace {

// Strict: a quote inside an unquoted field, text after a closing quote, or
// a quoted field left open at the end are errors rather than guesses.
constexpr unsigned char kOptions = CSV_STRICT | CSV_STRICT_FINI;

}  // namespace

CsvReader::CsvReader(std::istream& in) : in_(in), parser_(new csv_parser) {
  csv_init(parser_, kOptions);
}

CsvReader::~CsvReader() {
  csv_free(parser_);
  delete parser_;
}

void CsvReader::ResetParser() {
  csv_free(parser_);
  csv_init(parser_, kOptions);
  current_ = CsvRecord();
  at_record_start_ = true;
}

void CsvReader::OnField(void* data, size_t size, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  reader->current_.fields.emplace_back(static_cast<const char*>(data), size);
}

void CsvReader::OnRecordEnd(int, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  reader->ready_.push_back(std::move(reader->current_));
  reader->current_ = CsvRecord();
  reader->at_record_start_ = true;
}

absl::StatusOr<bool> CsvReader::FeedLine() {
  if (!std::getline(in_, buffer_)) {
    if (in_.bad()) return absl::DataLossError("read failed");
    if (!finished_) {
      finished_ = true;
      if (csv_fini(parser_, OnField, OnRecordEnd, this) != 0) {
        current_.fields.clear();
        current_.error = "csv: a quoted field is not closed before the end of the file";
        ready_.push_back(std::move(current_));
        current_ = CsvRecord();
      }
    }
    return false;
  }
  ++line_;
  bytes_read_ += buffer_.size() + 1;
  // A UTF-8 byte order mark, as spreadsheets write, is not part of the header.
  if (line_ == 1 && buffer_.starts_with("\xEF\xBB\xBF")) buffer_.erase(0, 3);
  if (at_record_start_) {
    const bool blank = buffer_.empty() || buffer_ == "\r";
    if (blank) return true;  // libcsv skips it too; the next record starts later
    current_.line = line_;
    at_record_start_ = false;
  }
  // getline dropped the line break; the parser needs it to end the record
  // (and, inside a quoted field, to keep it).
  buffer_.push_back('\n');
  const size_t parsed =
      csv_parse(parser_, buffer_.data(), buffer_.size(), OnField, OnRecordEnd, this);
  if (parsed != buffer_.size()) {
    CsvRecord bad;
    bad.line = current_.line;
    bad.error =
        csv_error(parser_) == CSV_EPARSE
            ? "csv: malformed quoting (a quote inside an unquoted field, or text after "
              "a closing quote)"
            : std::string("csv: ") + csv_strerror(csv_error(parser_));
    ready_.push_back(std::move(bad));
    // Go on at the next line: the rest of this record cannot be trusted.
    ResetParser();
  }
  return true;
}

absl::StatusOr<bool> CsvReader::Next(CsvRecord& record) {
  while (ready_.empty()) {
    absl::StatusOr<bool> more = FeedLine();
    if (!more.ok()) return more.status();
    if (!*more && ready_.empty()) return false;
  }
  record = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

}  // namespace zhongcao::tools
