// 32-bit hashes of ids carried in page tokens: what was served, and by whom.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace zhongcao::ranking {

uint32_t ServedHash(absl::string_view item_id);
uint32_t CreatorHash(absl::string_view creator_id);

}  // namespace zhongcao::ranking
