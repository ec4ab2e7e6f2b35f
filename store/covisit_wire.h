// A serialized CovisitRecord read and written without protobuf messages:
// a row holds up to covisit_row_limit neighbours, and the merge operator
// folds a row's pending operands on every read of it, which with one
// message and one string per neighbour was a seventh of a feed's CPU
// after a burst of events.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zhongcao::store {

// A row's fields; the neighbours' ids view into the bytes parsed (or into
// the views summed), which must outlive it.
struct CovisitView {
  int64_t updated_ms = 0;
  double total = 0;
  std::vector<std::pair<absl::string_view, double>> neighbors;
};

// Fills `view` from a serialized CovisitRecord, skipping unknown fields.
// DataLoss when the bytes are not one.
absl::Status ParseCovisitView(absl::string_view bytes, CovisitView* view);

// Appends `view` to `out` as a serialized CovisitRecord, byte for byte as
// protobuf would write the same record.
void AppendCovisitView(const CovisitView& view, std::string* out);

}  // namespace zhongcao::store
