// Newest-first lists of item ids, the scans that produce them, and
// NewestItemsMemo, which keeps recent scans of the newest items until an
// item is written.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace zhongcao::store {

struct TimedItemId {
  std::string item_id;
  int64_t created_at_ms = 0;
};

// One newest-first scan: the newest `limit` items created at or after
// `since_ms`. A kept scan answers any ask it holds every item of.
struct NewestScan {
  int limit = 0;
  int64_t since_ms = 0;
  std::vector<TimedItemId> items;

  // Whether this scan holds the whole answer to (limit, since_ms): a prefix
  // of the newest-first order no longer than its own. A later `since` only
  // shortens the answer, and a larger limit is covered only by a scan that
  // ended before its own limit.
  bool Covers(int ask_limit, int64_t ask_since_ms) const;
  // The answer to an ask this scan covers.
  std::vector<TimedItemId> Answer(int ask_limit, int64_t ask_since_ms) const;
  // Memory held, for a RowCache's budget.
  size_t SpaceUsedLong() const;
};

// FeatureStore::NewestItems' recent answers, reused while no item is
// written. Every feed's fresh and recent sources scan the same few
// hundred newest items; at 1M items that scan was ~5% of a feed's CPU.
// Thread-safe.
class NewestItemsMemo {
 public:
  // Read before the scan whose result goes to Put.
  uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }
  // After every item write is applied and before it is acknowledged, so a
  // scan that may have missed the write is never answered from again.
  void Invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  // The newest `limit` items created at or after `since_ms`, newest first,
  // when a kept scan holds all of them.
  std::optional<std::vector<TimedItemId>> Find(int limit, int64_t since_ms) const;
  // Keeps `scan`, made as of `generation`; dropped when an item was
  // written since.
  void Put(uint64_t generation, NewestScan scan);

 private:
  struct Kept {
    uint64_t generation = 0;
    std::shared_ptr<const NewestScan> scan;
  };
  // A few distinct asks: the fresh source's window, the recent source's
  // budget, cold start's list.
  static constexpr size_t kScans = 4;

  std::atomic<uint64_t> generation_{0};
  mutable absl::Mutex mu_;
  std::array<Kept, kScans> kept_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zhongcao::store
