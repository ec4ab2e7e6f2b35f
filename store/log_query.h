// A read of one of the feature store's time-ordered logs (exposures,
// outcomes): a time range, an optional user, and a page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace zhongcao::store {

struct LogQuery {
  int64_t since_ms = 0;                                    // inclusive
  int64_t until_ms = std::numeric_limits<int64_t>::max();  // exclusive
  std::string user_id;                                     // empty: every user
  int limit = 100;                                         // rows returned at most
  // Resume after this row key (a previous page's `resume_after`); empty:
  // from since_ms.
  std::string resume_after;
  // A page also stops once it holds this many bytes or has examined this
  // many rows (a user filter over a long range), so one read stays bounded.
  size_t max_bytes = 4 << 20;
  int max_scanned = 200000;
};

template <typename Row>
struct LogPage {
  std::vector<Row> rows;
  // The key of the last row examined when the page stopped early; empty
  // when the range is exhausted.
  std::string resume_after;
};

}  // namespace zhongcao::store
