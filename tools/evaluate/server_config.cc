#include "tools/evaluate/server_config.h"

#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/config.h"
#include "toml++/toml.h"

namespace zhongcao::evaluate {

absl::StatusOr<std::pair<std::string, double>> ParseSettingOverride(
    absl::string_view spec) {
  std::pair<std::string, std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
  const std::string name(absl::StripAsciiWhitespace(kv.first));
  double value = 0;
  if (name.empty() || !absl::SimpleAtod(absl::StripAsciiWhitespace(kv.second), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--set: '", spec, "' must be name=number, e.g. rerank.mmr_lambda=1"));
  }
  return std::pair{name, value};
}

absl::StatusOr<std::string> MakeServerConfig(absl::string_view base,
                                             const SettingOverrides& overrides) {
  toml::table config;
  if (!base.empty()) {
    try {
      config = toml::parse(std::string_view(base.data(), base.size()));
    } catch (const toml::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--config: line ", e.source().begin.line, ": ", std::string(e.description())));
    }
  }
  for (const auto& [name, value] : overrides) {
    toml::table* table = config["settings"].as_table();
    if (table == nullptr) {
      config.insert_or_assign("settings", toml::table{});
      table = config["settings"].as_table();
    }
    std::vector<std::string> parts = absl::StrSplit(name, '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      toml::table* next = (*table)[parts[i]].as_table();
      if (next == nullptr) {
        table->insert_or_assign(parts[i], toml::table{});
        next = (*table)[parts[i]].as_table();
      }
      table = next;
    }
    table->insert_or_assign(parts.back(), value);
  }
  std::ostringstream out;
  out << config << "\n";
  std::string text = out.str();
  // The server's own check, so a bad name fails here with its message.
  if (absl::StatusOr<ranking::RecommenderOptions> checked = service::ParseConfig(text);
      !checked.ok()) {
    return checked.status();
  }
  return text;
}

}  // namespace zhongcao::evaluate
