// The service's configuration file (TOML): feed settings, campaigns and
// experiments. See deploy/zhongcao.toml for a documented example.
#pragma once

#include <filesystem>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ranking/recommender.h"

namespace zhongcao::service {

// Parses `text`; errors name the offending key and, for syntax errors, the
// line. Unknown settings and malformed campaigns or experiments are errors,
// never silently ignored.
absl::StatusOr<ranking::RecommenderOptions> ParseConfig(absl::string_view text);
absl::StatusOr<ranking::RecommenderOptions> LoadConfig(const std::filesystem::path& path);

}  // namespace zhongcao::service
