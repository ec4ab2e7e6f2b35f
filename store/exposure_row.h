// Reads an exposure log row back into the API's v1::Exposure, whichever
// form it was stored in (store::ExposureRow, or a bare v1::Exposure from
// before ExposureRow).
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/records.pb.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::store {

// The stored bytes of one row as the exposure it records, each item's
// features named again.
absl::StatusOr<v1::Exposure> ExposureFromRow(absl::string_view bytes);

}  // namespace zhongcao::store
