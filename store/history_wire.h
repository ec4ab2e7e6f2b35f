// A serialized UserHistory read and written as a list of events' bytes,
// without parsing the events: histories hold up to the store's
// history_limit events, and the merge operator and the co-visitation
// pairing touch every one of them on each write but need none of their
// fields (or only the newest few).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhongcao::store {

// The bytes of each event of a serialized UserHistory, oldest first,
// viewing into `history`. Fields other than the events are skipped. DataLoss
// when the bytes are not a UserHistory.
absl::StatusOr<std::vector<absl::string_view>> HistoryEvents(absl::string_view history);

// Appends the events to `out` as a serialized UserHistory.
void AppendHistoryEvents(std::span<const absl::string_view> events, std::string* out);

}  // namespace zhongcao::store
