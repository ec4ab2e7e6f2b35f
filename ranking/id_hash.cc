#include "ranking/id_hash.h"

#include "xxhash.h"

namespace zhongcao::ranking {

uint32_t ServedHash(absl::string_view item_id) {
  return XXH32(item_id.data(), item_id.size(), /*seed=*/0x7a68);
}

uint32_t CreatorHash(absl::string_view creator_id) {
  return XXH32(creator_id.data(), creator_id.size(), /*seed=*/0x6372);
}

}  // namespace zhongcao::ranking
