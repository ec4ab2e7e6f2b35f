// A bounded in-memory cache of parsed rows of one column family, so that hot
// reads (hydration of a thousand candidates per feed) skip RocksDB and
// protobuf parsing. Writers invalidate what they change; a reader that raced
// with a writer never puts back what it read before the write.
//
// Reads take a shard's lock shared and touch one hash slot and one row: a
// feed reads ~1,500 rows, and an LRU list (RocksDB's LRUCache, used here
// before) made every read an exclusive lock and four scattered writes,
// which was a fifth of a feed's CPU. Eviction is CLOCK: a read only sets a
// bit, and an insert over budget sweeps the shard's slots, sparing each
// recently read row once.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace zhongcao::store {

template <typename Message>
class RowCache {
 public:
  // `capacity_bytes` 0 disables the cache: FindAll and Visit never find, Fill drops.
  explicit RowCache(size_t capacity_bytes) : shard_capacity_(capacity_bytes / kShards) {}

  // Calls `fn(const Message&)` with the cached row of `key` while it is
  // held, so the caller copies what it needs without taking a reference.
  // False when the key is not cached.
  template <typename Fn>
  bool Visit(absl::string_view key, Fn&& fn) const {
    if (shard_capacity_ == 0) return false;
    const Shard& shard = ShardOf(key);
    absl::ReaderMutexLock lock(&shard.mu);
    const Slot* slot = Lookup(shard, key);
    Count(slot != nullptr ? 1 : 0, 1);
    if (slot == nullptr) return false;
    fn(*slot->row);
    return true;
  }

  // The cached rows of `keys`, in order, null where not cached. A feed reads
  // ~1,500 rows of a catalog far larger than the processor's caches, so
  // nearly every step of a lookup (hash slot, cache slot, row) is a cache
  // miss. The lookups therefore run in stages over all keys of a shard, each
  // stage prefetching what the next one reads, so that the misses of many
  // keys overlap instead of queueing one behind another. Each shard's lock
  // is taken once for all of its keys, and no reference count (an atomic
  // instruction, which would stop that overlap) is touched before the last
  // stage.
  // `counted` false keeps the lookups out of lookups() and hits(): a
  // warm-up's reads are not the workload's.
  template <typename Key>
  std::vector<std::shared_ptr<const Message>> FindAll(std::span<const Key> keys,
                                                      bool counted = true) const {
    std::vector<std::shared_ptr<const Message>> rows(keys.size());
    if (shard_capacity_ == 0 || keys.empty()) return rows;
    // Each key hashed once, for its shard and its hash slot; positions
    // grouped by shard (a counting sort).
    std::vector<size_t> hash(keys.size());
    std::array<uint32_t, kShards + 1> start{};
    for (size_t i = 0; i < keys.size(); ++i) {
      hash[i] = KeyHash(keys[i]);
      ++start[ShardIndexOfHash(hash[i]) + 1];
    }
    for (size_t s = 0; s < kShards; ++s) start[s + 1] += start[s];
    std::vector<uint32_t> order(keys.size());
    std::array<uint32_t, kShards> next;
    std::copy(start.begin(), start.end() - 1, next.begin());
    for (size_t i = 0; i < keys.size(); ++i) {
      order[next[ShardIndexOfHash(hash[i])]++] = static_cast<uint32_t>(i);
    }
    std::vector<const Slot*> found(keys.size());
    for (size_t s = 0; s < kShards; ++s) {
      if (start[s] == start[s + 1]) continue;
      const Shard& shard = shards_[s];
      absl::ReaderMutexLock lock(&shard.mu);
      for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
        shard.index.prefetch(absl::string_view(keys[order[j]]));
      }
      // The index holds its keys, so finding one reads only what was
      // prefetched above.
      for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
        const uint32_t i = order[j];
        auto it = shard.index.find(absl::string_view(keys[i]), hash[i]);
        found[j] = it == shard.index.end() ? nullptr : &shard.slots[it->second];
        if (found[j] != nullptr) __builtin_prefetch(found[j]);
      }
      for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
        if (found[j] == nullptr) continue;
        MarkRead(*found[j]);
        // The row, and the reference count that make_shared puts beside it.
        __builtin_prefetch(found[j]->row.get());
      }
      for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
        if (found[j] != nullptr) rows[order[j]] = found[j]->row;
      }
    }
    if (counted) {
      Count(keys.size() -
                static_cast<size_t>(std::count(found.begin(), found.end(), nullptr)),
            keys.size());
    }
    return rows;
  }

  // Taken before the database read whose result goes to Fill.
  uint64_t FillToken(absl::string_view key) const {
    const Shard& shard = ShardOf(key);
    absl::ReaderMutexLock lock(&shard.mu);
    return shard.generation;
  }

  // Caches `row`, read after `token` was taken, unless a writer
  // invalidated the key's shard since. `Message` has SpaceUsedLong().
  void Fill(uint64_t token, absl::string_view key, std::shared_ptr<const Message> row) {
    if (shard_capacity_ == 0 || row == nullptr) return;
    const size_t charge = sizeof(Slot) + kIndexEntryBytes + key.size() +
                          static_cast<size_t>(row->SpaceUsedLong());
    if (charge > shard_capacity_) return;
    Shard& shard = ShardOf(key);
    absl::MutexLock lock(&shard.mu);
    if (shard.generation != token) return;
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      Slot& slot = shard.slots[it->second];
      shard.charge -= slot.charge;
      slot.row = std::move(row);
      slot.charge = charge;
      shard.charge += charge;
      return;
    }
    while (shard.charge + charge > shard_capacity_ && !shard.index.empty()) {
      EvictOne(&shard);
    }
    uint32_t at;
    if (!shard.free.empty()) {
      at = shard.free.back();
      shard.free.pop_back();
    } else {
      at = static_cast<uint32_t>(shard.slots.size());
      shard.slots.emplace_back();
    }
    Slot& slot = shard.slots[at];
    slot.key.assign(key.data(), key.size());
    slot.row = std::move(row);
    slot.charge = charge;
    slot.referenced.store(false, std::memory_order_relaxed);
    shard.index.emplace(slot.key, at);
    shard.charge += charge;
  }

  // Called after a write of `keys` is durable, before it is acknowledged.
  void Invalidate(std::span<const std::string> keys) {
    if (shard_capacity_ == 0) return;
    for (const std::string& key : keys) {
      Shard& shard = ShardOf(key);
      absl::MutexLock lock(&shard.mu);
      ++shard.generation;
      if (auto it = shard.index.find(key); it != shard.index.end()) {
        Release(&shard, it);
      }
    }
  }

  size_t capacity() const { return shard_capacity_ * kShards; }

  // Rows dropped to make room so far; a caller filling an empty cache
  // stops at the first, when some shard is full.
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

  // Keys looked up (FindAll, Visit) since start, and those found: what
  // share of a workload's reads the cache answers.
  uint64_t lookups() const { return lookups_.load(std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

  // Bytes charged for the rows held.
  size_t usage() const {
    size_t total = 0;
    for (const Shard& shard : shards_) {
      absl::ReaderMutexLock lock(&shard.mu);
      total += shard.charge;
    }
    return total;
  }

 private:
  static constexpr size_t kShards = 64;
  // A hash slot: the key (held inline up to 15 bytes) and the slot number,
  // with the table's slack.
  static constexpr size_t kIndexEntryBytes = 48;

  using Index = absl::flat_hash_map<std::string, uint32_t>;

  struct Slot {
    std::string key;  // empty when free
    std::shared_ptr<const Message> row;
    size_t charge = 0;
    mutable std::atomic<bool> referenced{false};
  };

  // Fills and invalidations of keys in one shard are ordered by its mutex,
  // so a fill either lands before an invalidation (which then erases it) or
  // sees the new generation and is dropped.
  struct Shard {
    mutable absl::Mutex mu;
    uint64_t generation ABSL_GUARDED_BY(mu) = 0;
    // A deque, so that the slots never move.
    std::deque<Slot> slots ABSL_GUARDED_BY(mu);
    Index index ABSL_GUARDED_BY(mu);
    std::vector<uint32_t> free ABSL_GUARDED_BY(mu);
    size_t hand ABSL_GUARDED_BY(mu) = 0;
    size_t charge ABSL_GUARDED_BY(mu) = 0;
  };

  using IndexIterator = typename Index::iterator;

  static void Release(Shard* shard, IndexIterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard->mu) {
    const uint32_t at = it->second;
    shard->index.erase(it);
    Slot& slot = shard->slots[at];
    shard->charge -= slot.charge;
    slot.row.reset();
    slot.key.clear();
    slot.charge = 0;
    shard->free.push_back(at);
  }

  // Advances the clock hand to the first row not read since the hand last
  // passed it, and drops that row.
  void EvictOne(Shard* shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard->mu) {
    for (;;) {
      if (shard->hand >= shard->slots.size()) shard->hand = 0;
      Slot& slot = shard->slots[shard->hand++];
      if (slot.row == nullptr) continue;
      if (slot.referenced.exchange(false, std::memory_order_relaxed)) continue;
      Release(shard, shard->index.find(slot.key));
      evictions_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }

  // Once per call, not per key: the counters are shared by every core.
  void Count(size_t hits, size_t lookups) const {
    if (shard_capacity_ == 0) return;
    hits_.fetch_add(hits, std::memory_order_relaxed);
    lookups_.fetch_add(lookups, std::memory_order_relaxed);
  }

  // The live slot of `key`, marked as read; null when not cached.
  static const Slot* Lookup(const Shard& shard, absl::string_view key)
      ABSL_SHARED_LOCKS_REQUIRED(shard.mu) {
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return nullptr;
    const Slot& slot = shard.slots[it->second];
    MarkRead(slot);
    return &slot;
  }

  // Written only when not set yet: a store to a row read on every feed would
  // pull its cache line away from the other cores on every read.
  static void MarkRead(const Slot& slot) {
    if (!slot.referenced.load(std::memory_order_relaxed)) {
      slot.referenced.store(true, std::memory_order_relaxed);
    }
  }

  // The index's own hash, so that a lookup can hand it over.
  static size_t KeyHash(absl::string_view key) { return Index::hasher()(key); }
  // The top bits of the key's hash: the index's own probing uses the low
  // ones of the same hash, which must not be alike for every key of a shard.
  static size_t ShardIndexOfHash(size_t hash) { return (hash >> 58) % kShards; }
  static size_t ShardIndex(absl::string_view key) {
    return ShardIndexOfHash(KeyHash(key));
  }
  Shard& ShardOf(absl::string_view key) const { return shards_[ShardIndex(key)]; }

  const size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> evictions_{0};
  mutable std::atomic<uint64_t> lookups_{0};
  mutable std::atomic<uint64_t> hits_{0};
};

}  // namespace zhongcao::store
