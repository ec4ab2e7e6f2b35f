// A bounded in-memory cache of parsed rows of one column family, so that hot
// reads (hydration of a thousand candidates per feed) skip RocksDB and
// protobuf parsing. Writers invalidate what they change; a reader that raced
// with a writer never puts back what it read before the write.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/cache.h"

namespace zhongcao::store {

template <typename Message>
class RowCache {
 public:
  // `capacity_bytes` 0 disables the cache: Find never finds, Fill drops.
  explicit RowCache(size_t capacity_bytes)
      : cache_(capacity_bytes == 0 ? nullptr : rocksdb::NewLRUCache(capacity_bytes)) {}

  // The cached row of `key`, or null.
  std::shared_ptr<const Message> Find(absl::string_view key) const {
    if (cache_ == nullptr) return nullptr;
    rocksdb::Cache::Handle* handle = cache_->Lookup(Slice(key));
    if (handle == nullptr) return nullptr;
    std::shared_ptr<const Message> row =
        *static_cast<const Entry*>(cache_->Value(handle));
    cache_->Release(handle);
    return row;
  }

  // Taken before the database read whose result goes to Fill.
  uint64_t FillToken(absl::string_view key) const {
    Stripe& stripe = StripeOf(key);
    absl::ReaderMutexLock lock(&stripe.mu);
    return stripe.generation;
  }

  // Caches `row`, read after `token` was taken, unless a writer
  // invalidated the key's stripe since. `Message` has SpaceUsedLong().
  void Fill(uint64_t token, absl::string_view key, std::shared_ptr<const Message> row) {
    if (cache_ == nullptr || row == nullptr) return;
    Stripe& stripe = StripeOf(key);
    absl::ReaderMutexLock lock(&stripe.mu);
    if (stripe.generation != token) return;
    const size_t charge =
        sizeof(Entry) + key.size() + kEntryOverhead + row->SpaceUsedLong();
    auto* entry = new Entry(std::move(row));
    cache_->Insert(Slice(key), entry, charge, &DeleteEntry).PermitUncheckedError();
  }

  // Called after a write of `keys` is durable, before it is acknowledged.
  void Invalidate(std::span<const std::string> keys) {
    if (cache_ == nullptr) return;
    for (const std::string& key : keys) {
      Stripe& stripe = StripeOf(key);
      absl::WriterMutexLock lock(&stripe.mu);
      ++stripe.generation;
      cache_->Erase(Slice(key));
    }
  }

  size_t usage() const { return cache_ == nullptr ? 0 : cache_->GetUsage(); }

 private:
  using Entry = std::shared_ptr<const Message>;
  // RocksDB's own bookkeeping per entry (handle, hash table slot).
  static constexpr size_t kEntryOverhead = 64;
  static constexpr size_t kStripes = 64;

  // Fills and invalidations of keys in one stripe are ordered by its mutex,
  // so a fill either lands before an invalidation (which then erases it) or
  // sees the new generation and is dropped.
  struct Stripe {
    absl::Mutex mu;
    uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  };

  static rocksdb::Slice Slice(absl::string_view key) {
    return rocksdb::Slice(key.data(), key.size());
  }
  static void DeleteEntry(const rocksdb::Slice&, void* value) {
    delete static_cast<Entry*>(value);
  }
  Stripe& StripeOf(absl::string_view key) const {
    return stripes_[absl::HashOf(key) % kStripes];
  }

  std::shared_ptr<rocksdb::Cache> cache_;
  mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace zhongcao::store
