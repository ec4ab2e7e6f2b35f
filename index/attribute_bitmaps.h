// Per-attribute bitmaps over dense internal ids: which ids are live, of each
// kind, in each region and available. A filter becomes one bitmap of the ids
// it allows, which both the graph search and the exact scan consult.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "index/vector_index.h"
#include "roaring/roaring.hh"

namespace zhongcao::index {

class AttributeBitmaps {
 public:
  // Marks `id` live with `attributes`, replacing whatever it had.
  void Set(uint32_t id, const ItemAttributes& attributes);
  // Marks `id` dead; it is never allowed again.
  void Kill(uint32_t id);
  bool IsLive(uint32_t id) const { return live_.contains(id); }

  // Live ids that pass `filter` (apart from its exclude list, which needs the
  // caller's id map). Kept per filter until the next Set or Kill: at 1M
  // items an answer is ~100 us of bitmap unions and intersections, and
  // every search of a feed asks for the same one. Safe to call from
  // concurrent readers.
  std::shared_ptr<const Roaring> Allowed(const SearchFilter& filter) const;

  uint64_t LiveCount() const { return live_.cardinality(); }
  // Live ids in [begin, end).
  uint64_t LiveCountIn(uint32_t begin, uint32_t end) const;
  const Roaring& live() const { return live_; }

  // Attributes of a live id, rebuilt from the bitmaps.
  ItemAttributes Get(uint32_t id) const;

  // Portable serialisation for snapshots.
  std::string Serialize() const;
  static bool Deserialize(const std::string& bytes, AttributeBitmaps* out);

 private:
  // Allowed's answers by (kind mask, region, available only). A copy starts
  // empty, since the copy's bitmaps may then change apart from these.
  class AllowedMemo {
   public:
    using Key = std::tuple<uint32_t, int64_t, bool>;
    AllowedMemo() = default;
    AllowedMemo(const AllowedMemo&) {}
    AllowedMemo& operator=(const AllowedMemo&) {
      Clear();
      return *this;
    }
    std::shared_ptr<const Roaring> Find(const Key& key) const;
    void Put(const Key& key, std::shared_ptr<const Roaring> answer) const;
    void Clear() const;

   private:
    // Regions come from items, so filters are few; the bound keeps a
    // catalog with many regions from holding a bitmap for each.
    static constexpr size_t kMaxAnswers = 64;
    mutable absl::Mutex mu_;
    mutable absl::flat_hash_map<Key, std::shared_ptr<const Roaring>> answers_
        ABSL_GUARDED_BY(mu_);
  };

  // A filter's region as Allowed resolves it: none asked, one that no item
  // names (only unrestricted items pass), or a region's number.
  static constexpr int64_t kAnyRegion = -2;
  static constexpr int64_t kUnknownRegion = -1;
  Roaring ComputeAllowed(const SearchFilter& filter, int64_t region) const;
  void ClearAttributes(uint32_t id);

  Roaring live_;
  Roaring available_;
  Roaring everywhere_;  // items with no region restriction
  Roaring kinds_[kMaxKinds];
  std::vector<std::string> region_names_;
  std::vector<Roaring> regions_;
  absl::flat_hash_map<std::string, uint32_t> region_index_;
  AllowedMemo allowed_;
};

}  // namespace zhongcao::index
