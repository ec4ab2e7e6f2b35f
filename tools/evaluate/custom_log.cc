#include "tools/evaluate/custom_log.h"

#include <fstream>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tools/import/csv_reader.h"

namespace zhongcao::evaluate {
namespace {

using train::EventType;

absl::Status Invalid(const CustomLogOptions& o, int64_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(o.path.string(), ":", line, ": ", what));
}

// One row's values by role; nullopt where the mapping has no column.
struct RowValues {
  std::string user, item;
  std::optional<std::string> type, timestamp, category;
};

// Adds one row to `log`; `line` orders events that have no timestamp.
absl::Status AddRow(const CustomLogOptions& o, int64_t line, const RowValues& row,
                    train::InteractionLog& log) {
  if (row.user.empty())
    return Invalid(o, line, absl::StrCat(o.columns.user, ": empty user"));
  if (row.item.empty())
    return Invalid(o, line, absl::StrCat(o.columns.item, ": empty item"));
  EventType type = EventType::kInteraction;
  if (row.type.has_value()) {
    if (auto it = o.types.find(*row.type); it != o.types.end()) {
      type = it->second;
    } else if (std::optional<EventType> named = train::EventTypeFromName(*row.type)) {
      type = *named;
    } else {
      return Invalid(
          o, line,
          absl::StrCat(o.columns.type, ": unknown event type '", *row.type,
                       "' (map it with --type_map, e.g. ", *row.type, "=click)"));
    }
  }
  int64_t timestamp = line;
  if (row.timestamp.has_value()) {
    double value = 0;
    if (!absl::SimpleAtod(*row.timestamp, &value) || !(value >= 0) || value > 9.2e18) {
      return Invalid(o, line,
                     absl::StrCat(o.columns.timestamp, ": '", *row.timestamp,
                                  "' is not a non-negative number"));
    }
    timestamp = static_cast<int64_t>(value);
  }
  log.Add(row.user, row.item, type, 1, timestamp, row.category.value_or(""));
  return absl::OkStatus();
}

absl::StatusOr<train::InteractionLog> ReadCsv(const CustomLogOptions& o,
                                              std::istream& in) {
  tools::CsvReader reader(in);
  tools::CsvRecord record;
  train::InteractionLog log;
  const ColumnMapping& m = o.columns;
  // Field index of each role; -1: none.
  int user = -1, item = -1, type = -1, timestamp = -1, category = -1;
  auto by_number = [](const std::string& name, int* out) {
    if (name.empty()) return true;
    return absl::SimpleAtoi(name, out) && *out >= 0;
  };
  int64_t lines = 0;
  if (o.csv_header) {
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) return more.status();
    if (!*more)
      return absl::InvalidArgumentError(absl::StrCat(o.path.string(), ": empty"));
    ++lines;
    auto find = [&](const std::string& name, int* out) -> absl::Status {
      if (name.empty()) return absl::OkStatus();
      for (size_t i = 0; i < record.fields.size(); ++i) {
        if (absl::StripAsciiWhitespace(record.fields[i]) == name) {
          *out = static_cast<int>(i);
          return absl::OkStatus();
        }
      }
      return absl::InvalidArgumentError(
          absl::StrCat(o.path.string(), ":1: no column '", name, "' in the header"));
    };
    for (auto [name, out] :
         {std::pair{&m.user, &user}, std::pair{&m.item, &item}, std::pair{&m.type, &type},
          std::pair{&m.timestamp, &timestamp}, std::pair{&m.category, &category}}) {
      if (absl::Status s = find(*name, out); !s.ok()) return s;
    }
  } else {
    for (auto [name, out] :
         {std::pair{&m.user, &user}, std::pair{&m.item, &item}, std::pair{&m.type, &type},
          std::pair{&m.timestamp, &timestamp}, std::pair{&m.category, &category}}) {
      if (!by_number(*name, out)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--columns: '", *name, "' must be a 0-based column number without a header"));
      }
    }
  }
  for (;;) {
    if (o.max_lines >= 0 && lines >= o.max_lines) break;
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    ++lines;
    if (!record.error.empty()) return Invalid(o, record.line, record.error);
    auto field = [&](int i, const std::string& name) -> absl::StatusOr<std::string> {
      if (i >= static_cast<int>(record.fields.size())) {
        return Invalid(o, record.line,
                       absl::StrCat(name, ": missing (the row has ", record.fields.size(),
                                    " fields)"));
      }
      return std::string(
          absl::StripAsciiWhitespace(record.fields[static_cast<size_t>(i)]));
    };
    RowValues row;
    for (auto [i, name, out] :
         {std::tuple{user, &m.user, &row.user}, std::tuple{item, &m.item, &row.item}}) {
      absl::StatusOr<std::string> v = field(i, *name);
      if (!v.ok()) return v.status();
      *out = *std::move(v);
    }
    for (auto [i, name, out] : {std::tuple{type, &m.type, &row.type},
                                std::tuple{timestamp, &m.timestamp, &row.timestamp},
                                std::tuple{category, &m.category, &row.category}}) {
      if (i < 0) continue;
      absl::StatusOr<std::string> v = field(i, *name);
      if (!v.ok()) return v.status();
      *out = *std::move(v);
    }
    if (absl::Status s = AddRow(o, record.line, row, log); !s.ok()) return s;
  }
  return log;
}

absl::StatusOr<train::InteractionLog> ReadJsonl(const CustomLogOptions& o,
                                                std::istream& in) {
  train::InteractionLog log;
  const ColumnMapping& m = o.columns;
  std::string text;
  int64_t line = 0, lines = 0;
  while (std::getline(in, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    if (o.max_lines >= 0 && lines >= o.max_lines) break;
    ++lines;
    nlohmann::json row = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) return Invalid(o, line, "not a JSON object");
    auto value =
        [&](const std::string& key) -> absl::StatusOr<std::optional<std::string>> {
      if (key.empty()) return std::nullopt;
      auto it = row.find(key);
      if (it == row.end() || it->is_null()) return std::nullopt;
      if (it->is_string()) return it->get<std::string>();
      if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
      if (it->is_number()) return absl::StrCat(it->get<double>());
      return Invalid(o, line, absl::StrCat(key, ": must be a string or a number"));
    };
    RowValues values;
    for (auto [key, out] :
         {std::pair{&m.user, &values.user}, std::pair{&m.item, &values.item}}) {
      absl::StatusOr<std::optional<std::string>> v = value(*key);
      if (!v.ok()) return v.status();
      if (!v->has_value()) return Invalid(o, line, absl::StrCat(*key, ": missing"));
      *out = **v;
    }
    for (auto [key, out] :
         {std::pair{&m.type, &values.type}, std::pair{&m.timestamp, &values.timestamp},
          std::pair{&m.category, &values.category}}) {
      absl::StatusOr<std::optional<std::string>> v = value(*key);
      if (!v.ok()) return v.status();
      if (!key->empty() && !v->has_value() && out != &values.category) {
        return Invalid(o, line, absl::StrCat(*key, ": missing"));
      }
      *out = *v;
    }
    if (absl::Status s = AddRow(o, line, values, log); !s.ok()) return s;
  }
  return log;
}

}  // namespace

absl::StatusOr<ColumnMapping> ParseColumnMapping(absl::string_view spec) {
  ColumnMapping m;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    const std::string role(absl::StripAsciiWhitespace(kv.first));
    const std::string column(absl::StripAsciiWhitespace(kv.second));
    if (column.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--columns: '", part, "' must be role=column"));
    }
    std::string* out = role == "user"        ? &m.user
                       : role == "item"      ? &m.item
                       : role == "type"      ? &m.type
                       : role == "timestamp" ? &m.timestamp
                       : role == "category"  ? &m.category
                                             : nullptr;
    if (out == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--columns: unknown role '", role,
                       "', expected user, item, type, timestamp or category"));
    }
    *out = column;
  }
  if (m.user.empty() || m.item.empty()) {
    return absl::InvalidArgumentError(
        "--columns: user and item are required, e.g. user=user_id,item=item_id");
  }
  return m;
}

absl::StatusOr<std::map<std::string, train::EventType>> ParseTypeMap(
    absl::string_view spec) {
  std::map<std::string, train::EventType> out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    std::optional<EventType> type = train::EventTypeFromName(kv.second);
    if (kv.first.empty() || !type.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--type_map: '", part, "' must be value=event_type, e.g. pv=click"));
    }
    out[kv.first] = *type;
  }
  return out;
}

absl::StatusOr<train::InteractionLog> ReadCustomLog(const CustomLogOptions& options) {
  std::ifstream in(options.path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(options.path.string(), ": cannot open"));
  }
  const std::string ext = absl::AsciiStrToLower(options.path.extension().string());
  absl::StatusOr<train::InteractionLog> log;
  if (ext == ".csv") {
    log = ReadCsv(options, in);
  } else if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") {
    log = ReadJsonl(options, in);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        options.path.string(), ": unknown format '", ext, "', expected .csv or .jsonl"));
  }
  if (!log.ok()) return log;
  if (log->events.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.path.string(), ": no events"));
  }
  return log;
}

}  // namespace zhongcao::evaluate
