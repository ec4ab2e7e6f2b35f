// Gathers every occurrence of a list flag on a command line. Abseil keeps
// only a flag's last occurrence, so `--set=a --set=b` would silently drop a;
// the evaluator's list flags take both, as a user repeating them expects.
#ifndef ZHONGCAO_TOOLS_EVALUATE_REPEATED_FLAGS_H_
#define ZHONGCAO_TOOLS_EVALUATE_REPEATED_FLAGS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zhongcao::evaluate {

// The comma-separated values of every `--name=v`, `-name=v`, `--name v` or
// `-name v` before a bare `--`, in command-line order, empty ones left out.
std::vector<std::string> RepeatedFlagValues(int argc, const char* const* argv,
                                            absl::string_view name);

}  // namespace zhongcao::evaluate

#endif  // ZHONGCAO_TOOLS_EVALUATE_REPEATED_FLAGS_H_
