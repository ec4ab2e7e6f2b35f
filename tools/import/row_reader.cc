#include "tools/import/row_reader.h"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tools/import/csv_mapping.h"
#include "tools/import/csv_reader.h"

namespace zhongcao::tools {
namespace {

enum class Format { kCsv, kJsonLines, kUnknown };

Format FormatOf(const std::filesystem::path& file) {
  const std::string ext = absl::AsciiStrToLower(file.extension().string());
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kJsonLines;
  return Format::kUnknown;
}

// protobuf's JSON errors as "field: message" on one line: it names the
// field as "(type): ..." or "type: ...", and follows a syntax error with a
// picture of where it is, over several lines.
std::string JsonError(std::string message) {
  message = message.substr(0, message.find('\n'));
  if (message.starts_with("(")) {
    const size_t close = message.find("): ");
    if (close != std::string::npos) {
      return message.substr(1, close - 1) + message.substr(close + 1);
    }
  }
  const size_t colon = message.find(": ");
  const bool names_field = colon != std::string::npos && colon > 0 &&
                           message.substr(0, colon).find(' ') == std::string::npos;
  return names_field ? message : "json: " + message;
}

class CsvRowReader final : public RowReader {
 public:
  CsvRowReader(std::ifstream in, uint64_t size) : in_(std::move(in)), csv_(in_) {
    file_bytes_ = size;
  }

  absl::Status ReadHeader(const std::filesystem::path& file,
                          const google::protobuf::Descriptor& type) {
    CsvRecord header;
    absl::StatusOr<bool> read = csv_.Next(header);
    if (!read.ok()) return read.status();
    if (!*read) return absl::InvalidArgumentError(file.string() + ": has no header row");
    if (!header.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.string(), ":", header.line, ": ", header.error));
    }
    absl::StatusOr<CsvMapping> mapping = CsvMapping::FromHeader(type, header.fields);
    if (!mapping.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file.string(), ":", header.line,
                                                     ": ", mapping.status().message()));
    }
    mapping_ = *std::move(mapping);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next(google::protobuf::Message& row, RowInfo& info) override {
    row.Clear();
    CsvRecord record;
    absl::StatusOr<bool> read = csv_.Next(record);
    if (!read.ok() || !*read) return read;
    info.line = record.line;
    info.error = std::move(record.error);
    if (info.error.empty()) {
      if (absl::Status s = mapping_.Fill(record.fields, row); !s.ok()) {
        info.error = std::string(s.message());
      }
    }
    return true;
  }

  uint64_t bytes_read() const override { return csv_.bytes_read(); }

 private:
  std::ifstream in_;
  CsvReader csv_;
  CsvMapping mapping_;
};

class JsonLinesRowReader final : public RowReader {
 public:
  JsonLinesRowReader(std::ifstream in, uint64_t size) : in_(std::move(in)) {
    file_bytes_ = size;
  }

  absl::StatusOr<bool> Next(google::protobuf::Message& row, RowInfo& info) override {
    row.Clear();
    while (std::getline(in_, line_)) {
      ++line_number_;
      bytes_read_ += line_.size() + 1;
      if (absl::StripAsciiWhitespace(line_).empty()) continue;
      info.line = line_number_;
      info.error.clear();
      // Unknown fields are refused, like unknown CSV columns: a misspelt
      // field would otherwise drop its data silently.
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      auto parsed = google::protobuf::util::JsonStringToMessage(line_, &row, options);
      if (!parsed.ok()) info.error = JsonError(std::string(parsed.message()));
      return true;
    }
    if (in_.bad()) return absl::DataLossError("read failed");
    return false;
  }

  uint64_t bytes_read() const override { return bytes_read_; }

 private:
  std::ifstream in_;
  std::string line_;
  int64_t line_number_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace

bool IsRowFile(const std::filesystem::path& file) {
  return FormatOf(file) != Format::kUnknown;
}

absl::StatusOr<std::unique_ptr<RowReader>> RowReader::Open(
    const std::filesystem::path& file, const google::protobuf::Descriptor& type) {
  const Format format = FormatOf(file);
  if (format == Format::kUnknown) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.string(), ": unknown format; name it .csv, .jsonl or .ndjson"));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(file.string(), ": cannot open: ", std::strerror(errno)));
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (format == Format::kJsonLines) {
    return std::make_unique<JsonLinesRowReader>(std::move(in), ec ? 0 : size);
  }
  auto reader = std::make_unique<CsvRowReader>(std::move(in), ec ? 0 : size);
  if (absl::Status s = reader->ReadHeader(file, type); !s.ok()) return s;
  return reader;
}

}  // namespace zhongcao::tools
