// Progress of an index build, for tools that show it.
#pragma once

#include <cstdint>
#include <functional>

namespace zhongcao::index {

// Called as vectors are added during a build: (added so far, total).
using BuildProgress = std::function<void(int64_t added, int64_t total)>;

}  // namespace zhongcao::index
