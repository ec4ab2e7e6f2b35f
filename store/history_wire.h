// A serialized UserHistory read and written as a list of events' bytes,
// without parsing the events: histories hold up to the store's
// history_limit events, and the merge operator and the co-visitation
// pairing touch every one of them on each write but need none of their
// fields (or only the newest few).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zhongcao::store {

// Appends to `events` the bytes of each event of a serialized UserHistory,
// oldest first, viewing into `history`, so that a merge gathers the events
// of many operands into one list. Fields other than the events are
// skipped. DataLoss when the bytes are not a UserHistory.
absl::Status HistoryEvents(absl::string_view history,
                           std::vector<absl::string_view>* events);

// Appends the events to `out` as a serialized UserHistory.
void AppendHistoryEvents(std::span<const absl::string_view> events, std::string* out);

}  // namespace zhongcao::store
