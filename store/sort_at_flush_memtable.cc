#include "store/sort_at_flush_memtable.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <new>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/slice.h"

namespace zhongcao::store {
namespace {

using rocksdb::MemTableRep;

// The first 8 bytes of a memtable key's user key, big-endian and padded
// with zeros: a shorter or bytewise-smaller key never gets a larger number,
// so the number orders keys as the bytewise comparator does, up to ties.
uint64_t UserKeyHead(const char* memtable_key) {
  const rocksdb::Slice internal_key = rocksdb::GetLengthPrefixedSlice(memtable_key);
  // An internal key ends in 8 bytes of sequence number and type.
  const size_t size = internal_key.size() - 8;
  uint64_t head = 0;
  for (size_t i = 0; i < 8; ++i) {
    head = (head << 8) | (i < size ? static_cast<uint8_t>(internal_key.data()[i]) : 0);
  }
  return head;
}

// Iterates memtable keys (length-prefixed internal keys) in a sorted array.
class SortedKeysIterator final : public MemTableRep::Iterator {
 public:
  SortedKeysIterator(const std::vector<const char*>& keys,
                     const MemTableRep::KeyComparator& compare)
      : keys_(keys), compare_(compare), pos_(keys.size()) {}

  bool Valid() const override { return pos_ < keys_.size(); }
  const char* key() const override { return keys_[pos_]; }
  void Next() override { ++pos_; }
  void Prev() override { pos_ = pos_ == 0 ? keys_.size() : pos_ - 1; }
  void Seek(const rocksdb::Slice& internal_key, const char* memtable_key) override {
    pos_ = FirstAbove(internal_key, memtable_key, /*or_equal=*/true);
  }
  void SeekForPrev(const rocksdb::Slice& internal_key,
                   const char* memtable_key) override {
    const size_t above = FirstAbove(internal_key, memtable_key, /*or_equal=*/false);
    pos_ = above == 0 ? keys_.size() : above - 1;
  }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = keys_.empty() ? 0 : keys_.size() - 1; }

 private:
  // The position of the first key above the target, or equal to it too.
  size_t FirstAbove(const rocksdb::Slice& internal_key, const char* memtable_key,
                    bool or_equal) const {
    auto below = [&](const char* entry) {
      const int c = memtable_key != nullptr ? compare_(entry, memtable_key)
                                            : compare_(entry, internal_key);
      return or_equal ? c < 0 : c <= 0;
    };
    return static_cast<size_t>(std::partition_point(keys_.begin(), keys_.end(), below) -
                               keys_.begin());
  }

  const std::vector<const char*>& keys_;
  const MemTableRep::KeyComparator& compare_;
  size_t pos_;
};

class SortAtFlushRep final : public MemTableRep {
 public:
  SortAtFlushRep(const KeyComparator& compare, rocksdb::Allocator* allocator,
                 std::unique_ptr<MemTableRep> inner)
      : MemTableRep(allocator), compare_(compare), inner_(std::move(inner)) {}

  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    rocksdb::KeyHandle handle = inner_->Allocate(len, buf);
    allocated_ = *buf;
    return handle;
  }
  // The key of an insert is the one allocated just before: writes to a
  // memtable come from one thread, each an Allocate then an insert.
  void Insert(rocksdb::KeyHandle handle) override {
    inner_->Insert(handle);
    Keep();
  }
  bool InsertKey(rocksdb::KeyHandle handle) override {
    if (!inner_->InsertKey(handle)) return false;
    Keep();
    return true;
  }
  bool Contains(const char* key) const override { return inner_->Contains(key); }
  void MarkReadOnly() override {
    inner_->MarkReadOnly();
    read_only_.store(true, std::memory_order_release);
  }
  void MarkFlushed() override { inner_->MarkFlushed(); }
  void Get(const rocksdb::LookupKey& key, void* callback_args,
           bool (*callback_func)(void* arg, const char* entry)) override {
    inner_->Get(key, callback_args, callback_func);
  }
  uint64_t ApproximateNumEntries(const rocksdb::Slice& start_ikey,
                                 const rocksdb::Slice& end_key) override {
    return inner_->ApproximateNumEntries(start_ikey, end_key);
  }
  void UniqueRandomSample(const uint64_t num_entries, const uint64_t target_sample_size,
                          std::unordered_set<const char*>* entries) override {
    inner_->UniqueRandomSample(num_entries, target_sample_size, entries);
  }
  size_t ApproximateMemoryUsage() override {
    return inner_->ApproximateMemoryUsage() + keys_bytes_.load(std::memory_order_relaxed);
  }
  Iterator* GetIterator(rocksdb::Arena* arena) override {
    return read_only_.load(std::memory_order_acquire) ? NewSortedIterator(arena)
                                                      : inner_->GetIterator(arena);
  }
  Iterator* GetDynamicPrefixIterator(rocksdb::Arena* arena) override {
    // A total-order iterator is a valid prefix iterator: it shows more keys.
    return read_only_.load(std::memory_order_acquire)
               ? NewSortedIterator(arena)
               : inner_->GetDynamicPrefixIterator(arena);
  }
  bool IsMergeOperatorSupported() const override {
    return inner_->IsMergeOperatorSupported();
  }
  bool IsSnapshotSupported() const override { return inner_->IsSnapshotSupported(); }

 private:
  void Keep() {
    keys_.push_back(allocated_);
    keys_bytes_.store(keys_.capacity() * sizeof(const char*), std::memory_order_relaxed);
  }

  // Sorts by each user key's first 8 bytes, kept beside its address, and
  // compares whole keys only on a tie: comparing whole keys throughout
  // reads two keys in the arena at random per comparison.
  void Sort() {
    std::vector<std::pair<uint64_t, const char*>> order;
    order.reserve(keys_.size());
    for (const char* key : keys_) order.emplace_back(UserKeyHead(key), key);
    std::sort(order.begin(), order.end(), [this](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return compare_(a.second, b.second) < 0;
    });
    for (size_t i = 0; i < order.size(); ++i) keys_[i] = order[i].second;
  }

  Iterator* NewSortedIterator(rocksdb::Arena* arena) {
    // No insert comes after MarkReadOnly, so the array is final here.
    absl::call_once(sorted_, [this] { Sort(); });
    if (arena == nullptr) return new SortedKeysIterator(keys_, compare_);
    // A caller that passes its arena only runs the iterator's destructor,
    // and RocksDB's arena is not in its public headers: the memory stays
    // here until the memtable, which outlives its iterators, goes.
    absl::MutexLock lock(&iterator_memory_mu_);
    void* memory =
        iterator_memory_
            .emplace_back(std::make_unique<std::byte[]>(sizeof(SortedKeysIterator)))
            .get();
    return new (memory) SortedKeysIterator(keys_, compare_);
  }

  const KeyComparator& compare_;
  const std::unique_ptr<MemTableRep> inner_;
  char* allocated_ = nullptr;
  // Every inserted key; sorted once, when first iterated after MarkReadOnly.
  std::vector<const char*> keys_;
  std::atomic<size_t> keys_bytes_{0};
  std::atomic<bool> read_only_{false};
  absl::once_flag sorted_;
  absl::Mutex iterator_memory_mu_;
  std::vector<std::unique_ptr<std::byte[]>> iterator_memory_
      ABSL_GUARDED_BY(iterator_memory_mu_);
};

class SortAtFlushRepFactory final : public rocksdb::MemTableRepFactory {
 public:
  explicit SortAtFlushRepFactory(std::shared_ptr<rocksdb::MemTableRepFactory> inner)
      : inner_(std::move(inner)) {}

  MemTableRep* CreateMemTableRep(const MemTableRep::KeyComparator& compare,
                                 rocksdb::Allocator* allocator,
                                 const rocksdb::SliceTransform* transform,
                                 rocksdb::Logger* logger) override {
    return new SortAtFlushRep(compare, allocator,
                              std::unique_ptr<MemTableRep>(inner_->CreateMemTableRep(
                                  compare, allocator, transform, logger)));
  }
  MemTableRep* CreateMemTableRep(const MemTableRep::KeyComparator& compare,
                                 rocksdb::Allocator* allocator,
                                 const rocksdb::SliceTransform* transform,
                                 rocksdb::Logger* logger,
                                 uint32_t column_family_id) override {
    return new SortAtFlushRep(
        compare, allocator,
        std::unique_ptr<MemTableRep>(inner_->CreateMemTableRep(
            compare, allocator, transform, logger, column_family_id)));
  }
  const char* Name() const override { return "ZhongcaoSortAtFlushRepFactory"; }
  bool CanHandleDuplicatedKey() const override {
    return inner_->CanHandleDuplicatedKey();
  }

 private:
  const std::shared_ptr<rocksdb::MemTableRepFactory> inner_;
};

}  // namespace

std::shared_ptr<rocksdb::MemTableRepFactory> NewSortAtFlushRepFactory(
    std::shared_ptr<rocksdb::MemTableRepFactory> inner) {
  return std::make_shared<SortAtFlushRepFactory>(std::move(inner));
}

}  // namespace zhongcao::store
