// Encodes and decodes GetFeed page tokens: web-safe base64 of a checksummed
// PageTokenState. A token that was not made by us, or for another user, is
// refused, never half-read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ranking/page/page_token.pb.h"

namespace zhongcao::ranking {

// Tokens remember at most this many served items. A feed session ends (no
// next_page_token) once it has served more; a new session starts without a
// token, and the seen filter keeps what the user saw out of it.
inline constexpr int kMaxServedInToken = 2000;

std::string EncodePageToken(const PageTokenState& state);
// INVALID_ARGUMENT naming "page_token" when malformed or for another user.
absl::StatusOr<PageTokenState> DecodePageToken(absl::string_view token,
                                               absl::string_view user_id);
uint64_t PageTokenUserHash(absl::string_view user_id);

}  // namespace zhongcao::ranking
