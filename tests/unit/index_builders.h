// Builders of index filters and attributes shared by the index unit tests.
// (Designated initialisers would trip -Wmissing-field-initializers.)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "index/vector_index.h"

namespace zhongcao::index::testing {

inline SearchFilter MakeFilter(uint32_t kind_mask, std::string region,
                               bool available_only,
                               std::vector<std::string> exclude_ids = {}) {
  SearchFilter filter;
  filter.kind_mask = kind_mask;
  filter.region = std::move(region);
  filter.available_only = available_only;
  filter.exclude_ids = std::move(exclude_ids);
  return filter;
}
inline SearchFilter KindFilter(uint32_t kind_mask) {
  return MakeFilter(kind_mask, "", false);
}
inline SearchFilter RegionFilter(std::string region) {
  return MakeFilter(0xFF, std::move(region), false);
}
inline SearchFilter AvailableFilter() { return MakeFilter(0xFF, "", true); }

inline ItemAttributes Attrs(int kind, std::vector<std::string> regions = {},
                            bool available = true) {
  ItemAttributes attributes;
  attributes.kind = static_cast<uint8_t>(kind);
  attributes.regions = std::move(regions);
  attributes.available = available;
  return attributes;
}

}  // namespace zhongcao::index::testing
