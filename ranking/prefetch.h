// Prefetching the objects a ranking stage is about to read: at 1M items each
// item, string and counter row a feed touches is likely a cache miss, and
// asking for all of a batch before reading any lets their misses overlap
// rather than queue one behind another.
#pragma once

#include <cstdint>

namespace zhongcao::ranking {

// Asks for every cache line of `*p`. A hint only: no effect on results, and
// null is ignored.
template <typename T>
void Prefetch(const T* p) {
  if (p == nullptr) return;
  const uintptr_t first = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63};
  const uintptr_t last = reinterpret_cast<uintptr_t>(p) + sizeof(T) - 1;
  for (uintptr_t line = first; line <= last; line += 64) {
    __builtin_prefetch(reinterpret_cast<const void*>(line));
  }
}

}  // namespace zhongcao::ranking
