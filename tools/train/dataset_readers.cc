#include "tools/train/dataset_readers.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zhongcao::train {
namespace {

// Walks the lines of a file, dropping a trailing '\r' and blank lines, and
// builds errors that point at the line.
class LineReader {
 public:
  LineReader(std::istream& in, absl::string_view source, int64_t max_lines)
      : in_(in), source_(source), max_lines_(max_lines) {}

  bool Next(absl::string_view* line) {
    while (max_lines_ < 0 || read_ < max_lines_) {
      if (!std::getline(in_, buffer_)) return false;
      ++number_;
      absl::string_view text = absl::StripAsciiWhitespace(buffer_);
      if (text.empty()) continue;
      ++read_;
      *line = text;
      return true;
    }
    return false;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", number_, ": ", what));
  }
  absl::Status Finish() const {
    if (in_.bad()) return absl::InternalError(absl::StrCat(source_, ": read failed"));
    return absl::OkStatus();
  }

 private:
  std::istream& in_;
  std::string source_;
  int64_t max_lines_;
  int64_t number_ = 0;
  int64_t read_ = 0;
  std::string buffer_;
};

absl::Status ReadTaobao(LineReader& lines, InteractionLog& log) {
  absl::string_view line;
  while (lines.Next(&line)) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    if (f.size() != 5) {
      return lines.Error(absl::StrCat(
          "expected 5 fields user,item,category,behavior,ts, got ", f.size()));
    }
    EventType type;
    if (f[3] == "pv") {
      type = EventType::kClick;
    } else if (f[3] == "cart") {
      type = EventType::kAddToCart;
    } else if (f[3] == "fav") {
      type = EventType::kSave;
    } else if (f[3] == "buy") {
      type = EventType::kPurchase;
    } else {
      return lines.Error(
          absl::StrCat("unknown behavior '", f[3], "', expected pv, cart, fav or buy"));
    }
    int64_t ts = 0;
    if (f[0].empty() || f[1].empty()) return lines.Error("empty user or item id");
    if (!absl::SimpleAtoi(f[4], &ts)) {
      return lines.Error(absl::StrCat("timestamp '", f[4], "' is not an integer"));
    }
    log.Add(f[0], f[1], type, 1, ts, f[2]);
  }
  return lines.Finish();
}

// Ciao's numbers are floats in scientific notation ("1.2988764e+09"), but
// every column holds an integer; anything fractional is a corrupt line.
bool ParseIntegral(absl::string_view text, int64_t* out) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) ||
      value != std::floor(value) || std::fabs(value) > 9e15) {
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

absl::Status ReadCiao(LineReader& lines, InteractionLog& log) {
  absl::string_view line;
  while (lines.Next(&line)) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() != 6) {
      return lines.Error(absl::StrCat(
          "expected 6 columns user product category rating helpfulness ts, got ",
          f.size()));
    }
    int64_t v[6];
    for (int i = 0; i < 6; ++i) {
      if (!ParseIntegral(f[i], &v[i])) {
        return lines.Error(
            absl::StrCat("column ", i + 1, " '", f[i], "' is not an integral number"));
      }
    }
    if (v[3] < 1 || v[3] > 5) {
      return lines.Error(absl::StrCat("rating ", v[3], " is outside 1..5"));
    }
    log.Add(absl::StrCat(v[0]), absl::StrCat(v[1]), EventType::kRating,
            static_cast<float>(v[3]), v[5], absl::StrCat(v[2]));
  }
  return lines.Finish();
}

absl::Status ReadSequences(LineReader& lines, InteractionLog& log) {
  absl::string_view line;
  while (lines.Next(&line)) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() < 2) return lines.Error("a user id with no items");
    for (size_t i = 1; i < f.size(); ++i) {
      log.Add(f[0], f[i], EventType::kInteraction, 1, static_cast<int64_t>(i - 1));
    }
  }
  return lines.Finish();
}

absl::Status ReadEventsCsv(LineReader& lines, InteractionLog& log) {
  absl::string_view line;
  if (!lines.Next(&line)) return absl::OkStatus();
  int user = -1, item = -1, type = -1, ts = -1;
  std::vector<absl::string_view> header = absl::StrSplit(line, ',');
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    absl::string_view name = absl::StripAsciiWhitespace(header[i]);
    if (name == "user_id") user = i;
    if (name == "item_id") item = i;
    if (name == "type") type = i;
    if (name == "timestamp_ms") ts = i;
  }
  if (user < 0 || item < 0 || type < 0 || ts < 0) {
    return lines.Error(
        "the header must name the columns user_id, item_id, type and timestamp_ms");
  }
  while (lines.Next(&line)) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    if (f.size() != header.size()) {
      return lines.Error(
          absl::StrCat("expected ", header.size(), " fields, got ", f.size()));
    }
    if (f[user].empty() || f[item].empty()) return lines.Error("empty user or item id");
    std::optional<EventType> t = EventTypeFromName(f[type]);
    if (!t.has_value()) return lines.Error(absl::StrCat("unknown type '", f[type], "'"));
    int64_t ms = 0;
    if (!absl::SimpleAtoi(f[ts], &ms)) {
      return lines.Error(absl::StrCat("timestamp_ms '", f[ts], "' is not an integer"));
    }
    log.Add(f[user], f[item], *t, 1, ms);
  }
  return lines.Finish();
}

}  // namespace

absl::StatusOr<InteractionLog> ReadLog(LogFormat format, std::istream& in,
                                       absl::string_view source,
                                       const ReadOptions& options) {
  LineReader lines(in, source, options.max_lines);
  InteractionLog log;
  absl::Status status;
  switch (format) {
    case LogFormat::kTaobaoCsv:
      status = ReadTaobao(lines, log);
      break;
    case LogFormat::kCiaoRatings:
      status = ReadCiao(lines, log);
      break;
    case LogFormat::kSequences:
      status = ReadSequences(lines, log);
      break;
    case LogFormat::kEventsCsv:
      status = ReadEventsCsv(lines, log);
      break;
  }
  if (!status.ok()) return status;
  return log;
}

absl::StatusOr<InteractionLog> ReadLogFile(LogFormat format,
                                           const std::filesystem::path& file,
                                           const ReadOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(file.string(), ": cannot open"));
  }
  return ReadLog(format, in, file.string(), options);
}

}  // namespace zhongcao::train
