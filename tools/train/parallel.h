// Runs a loop's iterations on a few std::threads. Callers keep each
// iteration independent of the others, so results do not depend on how
// many threads ran them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace zhongcao::train {

// Calls fn(begin, end, worker) over [0, n) in chunks of `grain`, handed out in
// order to whichever of `threads` workers is free (uneven rows balance out);
// worker is in [0, threads), for per-thread scratch space.
inline void ParallelFor(int64_t n, int threads, int64_t grain,
                        const std::function<void(int64_t, int64_t, int)>& fn) {
  threads = std::max(1, threads);
  grain = std::max<int64_t>(1, grain);
  std::atomic<int64_t> next{0};
  auto work = [&](int worker) {
    for (int64_t begin; (begin = next.fetch_add(grain)) < n;) {
      fn(begin, std::min(n, begin + grain), worker);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
}

}  // namespace zhongcao::train
