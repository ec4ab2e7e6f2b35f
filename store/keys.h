// Key layouts of the feature store's secondary column families. Ids never
// contain '\0' (request validation refuses control characters), so '\0'
// separates an id from what follows it.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace zhongcao::store {

// Big-endian, so byte order is numeric order.
std::string EncodeUint64(uint64_t value);
uint64_t DecodeUint64(absl::string_view bytes);

// Newest first: the time is stored inverted.
std::string ItemByTimeKey(int64_t created_at_ms, absl::string_view item_id);
// Every key of one creator starts with this.
std::string CreatorPrefix(absl::string_view creator_id);
std::string ItemByCreatorKey(absl::string_view creator_id, int64_t created_at_ms,
                             absl::string_view item_id);
// Items by tag, laid out like items by creator: newest first within a tag.
std::string TagPrefix(absl::string_view tag);
std::string ItemByTagKey(absl::string_view tag, int64_t created_at_ms,
                         absl::string_view item_id);
// The item id and creation time at the end of any of these keys.
struct TimedId {
  int64_t created_at_ms;
  std::string item_id;
};
TimedId DecodeTimedId(absl::string_view key, size_t prefix_size);

// Trend rows: item id, '\0', region ("" for the trend of all regions). The
// item comes first so that deleting an item finds its rows with one seek.
std::string TrendKey(absl::string_view item_id, absl::string_view region);
// Every trend key of one item starts with this.
std::string TrendItemPrefix(absl::string_view item_id);
// Views into the decoded key.
struct TrendKeyParts {
  absl::string_view item_id;
  absl::string_view region;
};
// False when `key` has no '\0' separator.
bool DecodeTrendKey(absl::string_view key, TrendKeyParts* parts);

}  // namespace zhongcao::store
