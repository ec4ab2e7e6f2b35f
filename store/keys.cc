#include "store/keys.h"

#include "absl/strings/str_cat.h"

namespace zhongcao::store {
namespace {

uint64_t Inverted(int64_t ms) { return ~static_cast<uint64_t>(ms < 0 ? 0 : ms); }

}  // namespace

std::string EncodeUint64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

uint64_t DecodeUint64(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

std::string ItemByTimeKey(int64_t created_at_ms, absl::string_view item_id) {
  return absl::StrCat(EncodeUint64(Inverted(created_at_ms)), item_id);
}

std::string CreatorPrefix(absl::string_view creator_id) {
  return absl::StrCat(creator_id, absl::string_view("\0", 1));
}

std::string ItemByCreatorKey(absl::string_view creator_id, int64_t created_at_ms,
                             absl::string_view item_id) {
  return absl::StrCat(CreatorPrefix(creator_id), ItemByTimeKey(created_at_ms, item_id));
}

std::string TagPrefix(absl::string_view tag) { return CreatorPrefix(tag); }

std::string ItemByTagKey(absl::string_view tag, int64_t created_at_ms,
                         absl::string_view item_id) {
  return absl::StrCat(TagPrefix(tag), ItemByTimeKey(created_at_ms, item_id));
}

TimedId DecodeTimedId(absl::string_view key, size_t prefix_size) {
  key.remove_prefix(prefix_size);
  TimedId out;
  out.created_at_ms = static_cast<int64_t>(~DecodeUint64(key.substr(0, 8)));
  out.item_id = std::string(key.substr(8));
  return out;
}

std::string TrendKey(absl::string_view item_id, absl::string_view region) {
  return absl::StrCat(TrendItemPrefix(item_id), region);
}

std::string TrendItemPrefix(absl::string_view item_id) {
  return absl::StrCat(item_id, absl::string_view("\0", 1));
}

bool DecodeTrendKey(absl::string_view key, TrendKeyParts* parts) {
  const size_t separator = key.find('\0');
  if (separator == absl::string_view::npos) return false;
  parts->item_id = key.substr(0, separator);
  parts->region = key.substr(separator + 1);
  return true;
}

}  // namespace zhongcao::store
