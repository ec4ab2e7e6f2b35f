#include "tools/evaluate/repeated_flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace zhongcao::evaluate {

std::vector<std::string> RepeatedFlagValues(int argc, const char* const* argv,
                                            absl::string_view name) {
  std::vector<std::string> values;
  auto add = [&](absl::string_view list) {
    for (absl::string_view v : absl::StrSplit(list, ',', absl::SkipEmpty()))
      values.emplace_back(v);
  };
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) {
      if (!absl::ConsumePrefix(&arg, "-")) continue;
    }
    if (!absl::ConsumePrefix(&arg, name)) continue;
    if (arg.empty()) {
      if (i + 1 < argc) add(argv[++i]);
    } else if (absl::ConsumePrefix(&arg, "=")) {
      add(arg);
    }
  }
  return values;
}

}  // namespace zhongcao::evaluate
