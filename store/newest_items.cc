#include "store/newest_items.h"

#include <utility>

namespace zhongcao::store {

bool NewestScan::Covers(int ask_limit, int64_t ask_since_ms) const {
  const bool whole = static_cast<int>(items.size()) < limit;
  return ask_since_ms >= since_ms && (ask_limit <= limit || whole);
}

std::vector<TimedItemId> NewestScan::Answer(int ask_limit, int64_t ask_since_ms) const {
  std::vector<TimedItemId> out;
  for (const TimedItemId& id : items) {
    if (static_cast<int>(out.size()) >= ask_limit || id.created_at_ms < ask_since_ms)
      break;
    out.push_back(id);
  }
  return out;
}

size_t NewestScan::SpaceUsedLong() const {
  size_t bytes = sizeof(*this) + items.capacity() * sizeof(TimedItemId);
  for (const TimedItemId& id : items) {
    if (id.item_id.capacity() > 15) bytes += id.item_id.capacity() + 1;
  }
  return bytes;
}

std::optional<std::vector<TimedItemId>> NewestItemsMemo::Find(int limit,
                                                              int64_t since_ms) const {
  const uint64_t generation = Generation();
  std::shared_ptr<const NewestScan> found;
  {
    absl::MutexLock lock(&mu_);
    for (const Kept& kept : kept_) {
      if (kept.scan == nullptr || kept.generation != generation) continue;
      if (kept.scan->Covers(limit, since_ms)) {
        found = kept.scan;
        break;
      }
    }
  }
  if (found == nullptr) return std::nullopt;
  return found->Answer(limit, since_ms);
}

void NewestItemsMemo::Put(uint64_t generation, NewestScan scan) {
  auto kept = std::make_shared<const NewestScan>(std::move(scan));
  absl::MutexLock lock(&mu_);
  if (generation != Generation()) return;
  kept_[next_] = {generation, std::move(kept)};
  next_ = (next_ + 1) % kScans;
}

}  // namespace zhongcao::store
