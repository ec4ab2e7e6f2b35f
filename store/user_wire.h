// Reads the region of a serialized v1::User without parsing the user: every
// event batch looks up the region of each user whose events carry none, and
// parsing whole users (a 64-float vector, lists of creators) for one string
// was half of that lookup's cost.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhongcao::store {

// The user's region, viewing into `user`; empty when unset. The last
// occurrence wins, as in protobuf's own parsing. DataLoss when the bytes
// are not a User.
absl::StatusOr<absl::string_view> UserRegion(absl::string_view user);

}  // namespace zhongcao::store
