// Per-attribute bitmaps over dense internal ids: which ids are live, of each
// kind, in each region and available. A filter becomes one bitmap of the ids
// it allows, which both the graph search and the exact scan consult.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  // caller's id map).
  Roaring Allowed(const SearchFilter& filter) const;

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
  void ClearAttributes(uint32_t id);

  Roaring live_;
  Roaring available_;
  Roaring everywhere_;  // items with no region restriction
  Roaring kinds_[kMaxKinds];
  std::vector<std::string> region_names_;
  std::vector<Roaring> regions_;
  absl::flat_hash_map<std::string, uint32_t> region_index_;
};

}  // namespace zhongcao::index
