#include "service/config.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "toml++/toml.h"

namespace zhongcao::service {
namespace {

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config ", where, ": ", what));
}

// Flattens nested tables into dotted setting names and applies them:
// [settings.weights] freshness = 0.3 sets "weights.freshness".
absl::Status ApplySettings(const toml::table& table, const std::string& prefix,
                           std::vector<std::pair<std::string, double>>* out) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix.empty()
                                 ? std::string(key.str())
                                 : absl::StrCat(prefix, ".", std::string(key.str()));
    if (const toml::table* nested = node.as_table()) {
      if (absl::Status s = ApplySettings(*nested, name, out); !s.ok()) return s;
    } else if (std::optional<double> value = node.value<double>()) {
      out->emplace_back(name, *value);
    } else {
      return Invalid(name, "must be a number");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> EpochMs(const toml::node* node, absl::string_view where) {
  if (node == nullptr) return Invalid(where, "is required");
  if (const auto* dt = node->as_date_time()) {
    const toml::date_time& t = dt->get();
    if (!t.offset.has_value()) {
      return Invalid(where, "needs a UTC offset, e.g. 2026-11-11T00:00:00+08:00");
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    int y = t.date.year;
    const unsigned m = t.date.month, d = t.date.day;
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
    const int64_t seconds = days * 86400 + t.time.hour * 3600 + t.time.minute * 60 +
                            t.time.second - t.offset->minutes * 60;
    return seconds * 1000 + t.time.nanosecond / 1000000;
  }
  if (std::optional<int64_t> ms = node->value<int64_t>()) return *ms;
  return Invalid(where, "must be a date-time with offset or Unix milliseconds");
}

// Every key of `table` must be one of `known`: a typo is an error, never a
// silently ignored line.
absl::Status OnlyKnownKeys(const toml::table& table, absl::string_view where,
                           std::initializer_list<absl::string_view> known) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Invalid(absl::StrCat(where, ".", name), "unknown key");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RequiredString(const toml::table& table, const char* key,
                                           absl::string_view where) {
  std::optional<std::string> value = table[key].value<std::string>();
  if (!value.has_value() || value->empty()) {
    return Invalid(absl::StrCat(where, ".", key), "is required");
  }
  return *value;
}

absl::Status ParseCampaigns(const toml::array& campaigns,
                            ranking::RecommenderOptions* options) {
  for (size_t i = 0; i < campaigns.size(); ++i) {
    const std::string where = absl::StrCat("campaigns[", i, "]");
    const toml::table* table = campaigns[i].as_table();
    if (table == nullptr) return Invalid(where, "must be a table");
    if (absl::Status s =
            OnlyKnownKeys(*table, where, {"name", "tag", "start", "end", "boost"});
        !s.ok()) {
      return s;
    }
    ranking::Campaign campaign;
    absl::StatusOr<std::string> name = RequiredString(*table, "name", where);
    absl::StatusOr<std::string> tag = RequiredString(*table, "tag", where);
    absl::StatusOr<int64_t> start = EpochMs(table->get("start"), where + ".start");
    absl::StatusOr<int64_t> end = EpochMs(table->get("end"), where + ".end");
    for (const absl::Status& s :
         {name.status(), tag.status(), start.status(), end.status()}) {
      if (!s.ok()) return s;
    }
    if (*end <= *start) return Invalid(where, "end must be after start");
    campaign.name = *name;
    campaign.tag = *tag;
    campaign.start_ms = *start;
    campaign.end_ms = *end;
    if (const toml::node* boost = table->get("boost")) {
      std::optional<double> value = boost->value<double>();
      // The same range as the rerank.campaign_boost setting.
      ranking::FeedSettings scratch;
      if (!value.has_value() ||
          !ranking::SetFeedSetting("rerank.campaign_boost", *value, &scratch).ok()) {
        return Invalid(where + ".boost", "must be a finite number");
      }
      campaign.boost = static_cast<float>(*value);
    } else {
      campaign.boost_from_settings = true;
    }
    options->campaigns.push_back(std::move(campaign));
  }
  return absl::OkStatus();
}

absl::Status ParseExperiments(const toml::array& experiments,
                              std::vector<ranking::Experiment>* out) {
  for (size_t i = 0; i < experiments.size(); ++i) {
    const std::string where = absl::StrCat("experiments[", i, "]");
    const toml::table* table = experiments[i].as_table();
    if (table == nullptr) return Invalid(where, "must be a table");
    if (absl::Status s =
            OnlyKnownKeys(*table, where, {"name", "salt", "arms", "interleaved"});
        !s.ok()) {
      return s;
    }
    ranking::Experiment experiment;
    absl::StatusOr<std::string> name = RequiredString(*table, "name", where);
    if (!name.ok()) return name.status();
    experiment.name = *name;
    experiment.salt = (*table)["salt"].value<std::string>().value_or(experiment.name);
    if (const toml::node* interleaved = table->get("interleaved")) {
      const toml::value<bool>* flag = interleaved->as_boolean();
      if (flag == nullptr)
        return Invalid(where + ".interleaved", "must be true or false");
      experiment.interleaved = flag->get();
    }
    const toml::array* arms = (*table)["arms"].as_array();
    if (arms == nullptr) return Invalid(where + ".arms", "is required");
    for (size_t a = 0; a < arms->size(); ++a) {
      const std::string at = absl::StrCat(where, ".arms[", a, "]");
      const toml::table* arm_table = (*arms)[a].as_table();
      if (arm_table == nullptr) return Invalid(at, "must be a table");
      if (absl::Status s = OnlyKnownKeys(*arm_table, at, {"name", "weight", "settings"});
          !s.ok()) {
        return s;
      }
      ranking::ExperimentArm arm;
      absl::StatusOr<std::string> arm_name = RequiredString(*arm_table, "name", at);
      if (!arm_name.ok()) return arm_name.status();
      arm.name = *arm_name;
      if (const toml::node* weight = arm_table->get("weight")) {
        const toml::value<int64_t>* integer = weight->as_integer();
        if (integer == nullptr || integer->get() < 1 || integer->get() > 1'000'000) {
          return Invalid(at + ".weight", "must be an integer within 1..1000000");
        }
        arm.weight = static_cast<int>(integer->get());
      }
      if (const toml::table* settings = (*arm_table)["settings"].as_table()) {
        if (absl::Status s = ApplySettings(*settings, "", &arm.overrides); !s.ok()) {
          return s;
        }
      }
      experiment.arms.push_back(std::move(arm));
    }
    out->push_back(std::move(experiment));
  }
  return absl::OkStatus();
}

// [ranker] model = "path": the learned ranking model to load at start.
absl::Status ParseRanker(const toml::node* node, ranking::RecommenderOptions* out) {
  const toml::table* table = node->as_table();
  if (table == nullptr) return Invalid("ranker", "must be a table");
  if (absl::Status s = OnlyKnownKeys(*table, "ranker", {"model"}); !s.ok()) return s;
  if (const toml::node* model = table->get("model")) {
    std::optional<std::string> path = model->value<std::string>();
    if (!path.has_value())
      return Invalid("ranker.model", "must be a string (a file path)");
    out->ranker_model = *std::move(path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ranking::RecommenderOptions> ParseConfig(absl::string_view text) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("config line ", e.source().begin.line,
                                                   ": ", std::string(e.description())));
  }
  ranking::RecommenderOptions options;
  for (const auto& [key, node] : root) {
    const std::string_view k = key.str();
    if (k != "settings" && k != "surfaces" && k != "campaigns" && k != "experiments" &&
        k != "ranker") {
      return Invalid(std::string(k),
                     "unknown section; expected settings, surfaces, campaigns, "
                     "experiments or ranker");
    }
  }
  if (const toml::node* ranker = root.get("ranker")) {
    if (absl::Status s = ParseRanker(ranker, &options); !s.ok()) return s;
  }
  if (const toml::table* surfaces = root["surfaces"].as_table()) {
    for (const auto& [key, node] : *surfaces) {
      const std::string name(key.str());
      const std::string where = absl::StrCat("surfaces.", name);
      v1::Surface surface;
      if (!v1::Surface_Parse(absl::StrCat("SURFACE_", absl::AsciiStrToUpper(name)),
                             &surface) ||
          surface == v1::SURFACE_UNSPECIFIED) {
        return Invalid(where, "unknown surface; e.g. home, following, shop");
      }
      const toml::table* table = node.as_table();
      if (table == nullptr) return Invalid(where, "must be a table of settings");
      std::vector<std::pair<std::string, double>> values;
      if (absl::Status s = ApplySettings(*table, "", &values); !s.ok()) return s;
      ranking::FeedSettings scratch;
      for (const auto& [setting, value] : values) {
        if (absl::Status s = ranking::SetFeedSetting(setting, value, &scratch); !s.ok()) {
          return Invalid(absl::StrCat(where, ".", setting), s.message());
        }
      }
      options.surface_settings[surface] = std::move(values);
    }
  }
  if (const toml::table* settings = root["settings"].as_table()) {
    std::vector<std::pair<std::string, double>> values;
    if (absl::Status s = ApplySettings(*settings, "", &values); !s.ok()) return s;
    for (const auto& [name, value] : values) {
      if (absl::Status s = ranking::SetFeedSetting(name, value, &options.settings);
          !s.ok()) {
        return Invalid("settings." + name, s.message());
      }
    }
  }
  if (const toml::array* campaigns = root["campaigns"].as_array()) {
    if (absl::Status s = ParseCampaigns(*campaigns, &options); !s.ok()) return s;
  }
  if (const toml::array* experiments = root["experiments"].as_array()) {
    std::vector<ranking::Experiment> parsed;
    if (absl::Status s = ParseExperiments(*experiments, &parsed); !s.ok()) return s;
    absl::StatusOr<ranking::Experiments> checked =
        ranking::Experiments::Create(std::move(parsed));
    if (!checked.ok()) return Invalid("", checked.status().message());
    options.experiments = *std::move(checked);
  }
  return options;
}

absl::StatusOr<ranking::RecommenderOptions> LoadConfig(
    const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config ", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str());
}

}  // namespace zhongcao::service
