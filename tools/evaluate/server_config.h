// The configuration file the evaluated server runs with: a base file (an
// experiment's arms, say) or the built-in defaults, with feed settings
// overridden by name (e.g. rerank.mmr_lambda=1 to judge ranking without
// diversity). The result is checked with the server's own parser.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhongcao::evaluate {

using SettingOverrides = std::vector<std::pair<std::string, double>>;

// "name=value" (ranking/feed_settings.h names).
absl::StatusOr<std::pair<std::string, double>> ParseSettingOverride(
    absl::string_view spec);

// `base` is TOML text (may be empty). Overrides go into [settings] and win
// over the base file's values there.
absl::StatusOr<std::string> MakeServerConfig(absl::string_view base,
                                             const SettingOverrides& overrides);

}  // namespace zhongcao::evaluate
