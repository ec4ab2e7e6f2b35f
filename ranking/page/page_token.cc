#include "ranking/page/page_token.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "xxhash.h"

namespace zhongcao::ranking {
namespace {

constexpr uint64_t kChecksumSeed = 0x7a686f6e67;  // "zhong"

}  // namespace

uint64_t PageTokenUserHash(absl::string_view user_id) {
  return XXH64(user_id.data(), user_id.size(), 0);
}

std::string EncodePageToken(const PageTokenState& state) {
  std::string bytes = state.SerializeAsString();
  const uint64_t checksum = XXH64(bytes.data(), bytes.size(), kChecksumSeed);
  bytes.append(reinterpret_cast<const char*>(&checksum), sizeof(checksum));
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<PageTokenState> DecodePageToken(absl::string_view token,
                                               absl::string_view user_id) {
  const auto malformed = [] {
    return absl::InvalidArgumentError(
        "page_token: malformed; pass the next_page_token of the previous response");
  };
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(token, &bytes) || bytes.size() < sizeof(uint64_t)) {
    return malformed();
  }
  uint64_t checksum;
  const size_t body = bytes.size() - sizeof(checksum);
  std::memcpy(&checksum, bytes.data() + body, sizeof(checksum));
  if (checksum != XXH64(bytes.data(), body, kChecksumSeed)) return malformed();
  PageTokenState state;
  if (!state.ParseFromArray(bytes.data(), static_cast<int>(body))) return malformed();
  if (state.user_hash() != PageTokenUserHash(user_id)) {
    return absl::InvalidArgumentError("page_token: was issued for another user");
  }
  return state;
}

}  // namespace zhongcao::ranking
