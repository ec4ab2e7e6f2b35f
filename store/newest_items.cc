#include "store/newest_items.h"

#include <utility>

namespace zhongcao::store {

std::optional<std::vector<TimedItemId>> NewestItemsMemo::Find(int limit,
                                                              int64_t since_ms) const {
  const uint64_t generation = Generation();
  std::shared_ptr<const std::vector<TimedItemId>> items;
  {
    absl::MutexLock lock(&mu_);
    for (const Scan& scan : scans_) {
      if (scan.items == nullptr || scan.generation != generation) continue;
      // The answer is a prefix of the newest-first order, no longer than
      // the scan's: a later `since` only shortens it, and a larger limit
      // is covered only by a scan that ended before its own limit.
      const bool whole = static_cast<int>(scan.items->size()) < scan.limit;
      if (since_ms >= scan.since_ms && (limit <= scan.limit || whole)) {
        items = scan.items;
        break;
      }
    }
  }
  if (items == nullptr) return std::nullopt;
  std::vector<TimedItemId> out;
  for (const TimedItemId& id : *items) {
    if (static_cast<int>(out.size()) >= limit || id.created_at_ms < since_ms) break;
    out.push_back(id);
  }
  return out;
}

void NewestItemsMemo::Put(uint64_t generation, int limit, int64_t since_ms,
                          std::vector<TimedItemId> items) {
  auto kept = std::make_shared<const std::vector<TimedItemId>>(std::move(items));
  absl::MutexLock lock(&mu_);
  if (generation != Generation()) return;
  scans_[next_] = {generation, limit, since_ms, std::move(kept)};
  next_ = (next_ + 1) % kScans;
}

}  // namespace zhongcao::store
