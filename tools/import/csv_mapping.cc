#include "tools/import/csv_mapping.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace zhongcao::tools {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsMessage(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
}

bool IsInteger(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

// The column names a message accepts, for the error on an unknown one.
std::vector<std::string> KnownColumns(const Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (!IsMessage(field)) {
      names.push_back(field.name());
      continue;
    }
    if (field.is_repeated()) continue;
    const Descriptor& nested = *field.message_type();
    for (int j = 0; j < nested.field_count(); ++j) {
      if (!IsMessage(*nested.field(j))) {
        names.push_back(absl::StrCat(field.name(), ".", nested.field(j)->name()));
      }
    }
  }
  return names;
}

// The prefix every value name of `type` starts with ("ITEM_KIND_"), which
// the short forms leave out.
std::string EnumPrefix(const EnumDescriptor& type) {
  std::string prefix = type.value(0)->name();
  for (int i = 1; i < type.value_count(); ++i) {
    const std::string& name = type.value(i)->name();
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  // Stop at a word boundary: "CREATOR_TIER_BRAND" and "..._BRAND_STAFF"
  // share "BRAND" too, which is part of the value.
  const size_t underscore = prefix.rfind('_');
  prefix.resize(underscore == std::string::npos ? 0 : underscore + 1);
  return prefix;
}

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor& type,
                                         const std::string& text) {
  if (const EnumValueDescriptor* exact = type.FindValueByName(text)) return exact;
  std::string upper = absl::AsciiStrToUpper(text);
  absl::StrReplaceAll({{"-", "_"}}, &upper);
  if (const EnumValueDescriptor* named = type.FindValueByName(upper)) return named;
  return type.FindValueByName(EnumPrefix(type) + upper);
}

std::string EnumChoices(const EnumDescriptor& type) {
  const std::string prefix = EnumPrefix(type);
  std::vector<std::string> shorts;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() == 0) continue;  // "unspecified" is never wanted
    shorts.push_back(absl::AsciiStrToLower(type.value(i)->name().substr(prefix.size())));
  }
  return absl::StrCat(absl::StrJoin(shorts, ", "), ", or ", prefix, "*");
}

absl::Status Invalid(const std::string& column, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(column, ": ", message));
}

// Milliseconds from a count of seconds, whole or decimal.
std::optional<int64_t> SecondsToMs(const std::string& text) {
  int64_t whole;
  if (absl::SimpleAtoi(text, &whole)) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
    if (whole > kMax || whole < -kMax) return std::nullopt;
    return whole * 1000;
  }
  double seconds;
  if (!absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) ||
      std::fabs(seconds) > 9e15 / 1000) {
    return std::nullopt;
  }
  return std::llround(seconds * 1000);
}

// Sets (or, for a repeated field, adds) one value parsed from `text`.
absl::Status SetValue(const std::string& column, const FieldDescriptor& field,
                      int64_t scale, const std::string& text, Message& message) {
  const Reflection& r = *message.GetReflection();
  const bool add = field.is_repeated();
  auto not_a = [&](const char* what) {
    return Invalid(column, absl::StrCat("\"", text, "\" is not ", what));
  };
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      add ? r.AddString(&message, &field, text) : r.SetString(&message, &field, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (scale == 1000) {
        std::optional<int64_t> ms = SecondsToMs(text);
        if (!ms.has_value()) return not_a("a number of seconds");
        v = *ms;
      } else if (!absl::SimpleAtoi(text, &v)) {
        return not_a("an integer");
      }
      add ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("a 32-bit integer");
      add ? r.AddInt32(&message, &field, v) : r.SetInt32(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("a non-negative integer");
      add ? r.AddUInt64(&message, &field, v) : r.SetUInt64(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("a non-negative 32-bit integer");
      add ? r.AddUInt32(&message, &field, v) : r.SetUInt32(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      // Non-finite values parse; the service's validation names them.
      float v;
      if (!absl::SimpleAtof(text, &v)) return not_a("a number");
      add ? r.AddFloat(&message, &field, v) : r.SetFloat(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return not_a("a number");
      add ? r.AddDouble(&message, &field, v) : r.SetDouble(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(text);
      bool v;
      if (lower == "true" || lower == "1" || lower == "yes") {
        v = true;
      } else if (lower == "false" || lower == "0" || lower == "no") {
        v = false;
      } else {
        return not_a("a boolean (true/false, 1/0, yes/no)");
      }
      add ? r.AddBool(&message, &field, v) : r.SetBool(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = FindEnumValue(*field.enum_type(), text);
      if (v == nullptr) {
        return Invalid(column, absl::StrCat("unknown value \"", text, "\"; expected ",
                                            EnumChoices(*field.enum_type())));
      }
      add ? r.AddEnum(&message, &field, v) : r.SetEnum(&message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Invalid(column, "cannot be read from CSV");
}

}  // namespace

absl::StatusOr<CsvMapping> CsvMapping::FromHeader(const Descriptor& type,
                                                  std::span<const std::string> header) {
  auto unknown = [&](const std::string& name, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("header: column \"", name, "\" ", why, "; the columns of ",
                     type.full_name(), " are ", absl::StrJoin(KnownColumns(type), ", ")));
  };
  CsvMapping mapping;
  // The field each column fills, so that two columns cannot fill one field.
  std::map<std::vector<const FieldDescriptor*>, std::string> filled;
  for (size_t c = 0; c < header.size(); ++c) {
    Column column;
    column.name = std::string(absl::StripAsciiWhitespace(header[c]));
    if (column.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("header: column ", c + 1, " has no name"));
    }
    const Descriptor* at = &type;
    const std::vector<std::string> parts = absl::StrSplit(column.name, '.');
    for (size_t p = 0; p < parts.size(); ++p) {
      const FieldDescriptor* field =
          at == nullptr ? nullptr : at->FindFieldByName(parts[p]);
      if (field == nullptr) break;
      column.path.push_back(field);
      at = IsMessage(*field) && !field->is_repeated() ? field->message_type() : nullptr;
    }
    if (column.path.size() != parts.size()) column.path.clear();
    if (column.path.empty() && parts.size() == 1) {
      // Seconds for a milliseconds field.
      const FieldDescriptor* ms = type.FindFieldByName(column.name + "_ms");
      if (ms != nullptr && IsInteger(*ms) && !ms->is_repeated()) {
        column.path = {ms};
        column.scale = 1000;
      }
    }
    if (column.path.empty() && parts.size() == 1) {
      // A field of the one nested message that has it.
      for (int i = 0; i < type.field_count(); ++i) {
        const FieldDescriptor& parent = *type.field(i);
        if (!IsMessage(parent) || parent.is_repeated()) continue;
        const FieldDescriptor* child =
            parent.message_type()->FindFieldByName(column.name);
        if (child == nullptr) continue;
        if (!column.path.empty()) {
          return unknown(column.name, "is ambiguous, name it as parent.field");
        }
        column.path = {&parent, child};
      }
    }
    if (column.path.empty()) return unknown(column.name, "is not known");
    if (IsMessage(*column.path.back())) {
      return unknown(column.name, "is a message; name its fields instead");
    }
    auto [it, inserted] = filled.emplace(column.path, column.name);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("header: columns \"", it->second,
                                                     "\" and \"", column.name,
                                                     "\" fill the same field"));
    }
    mapping.columns_.push_back(std::move(column));
  }
  return mapping;
}

absl::Status CsvMapping::FillCell(const Column& column, const std::string& cell,
                                  Message& row) const {
  Message* message = &row;
  for (size_t i = 0; i + 1 < column.path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, column.path[i]);
  }
  const FieldDescriptor& field = *column.path.back();
  if (!field.is_repeated())
    return SetValue(column.name, field, column.scale, cell, *message);
  // Ids and tags never hold spaces, numbers never hold '|': each list uses
  // the separator its values cannot contain.
  const bool numeric = field.cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                       field.cpp_type() != FieldDescriptor::CPPTYPE_ENUM;
  std::vector<std::string> values;
  if (numeric) {
    values = absl::StrSplit(cell, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  } else {
    values = absl::StrSplit(cell, '|');
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (absl::Status s = SetValue(absl::StrCat(column.name, "[", i, "]"), field,
                                  column.scale, values[i], *message);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CsvMapping::Fill(std::span<const std::string> cells, Message& row) const {
  if (cells.size() != columns_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "csv: has ", cells.size(), " fields, the header has ", columns_.size()));
  }
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].empty()) continue;
    if (absl::Status s = FillCell(columns_[c], cells[c], row); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace zhongcao::tools
