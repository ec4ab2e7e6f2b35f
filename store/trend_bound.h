// An upper bound of every trend row's stored value, kept in memory, so that
// a batch of events reads back only the rows that could change a board.
// Reading each of a batch's ~1,600 rows back, merged, was a tenth of the
// server's CPU under events, and almost none of them beat a board's last
// item.
//
// Rows hash to buckets; a bucket holds the log-sum-exp of every value ever
// added to its rows. Trend values only grow (deletes drop rows, which only
// loosens the bound), so the bucket bounds each of its rows from above.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/strings/string_view.h"

namespace zhongcao::store {

class TrendBound {
 public:
  // 2^`log2_buckets` buckets of 8 bytes.
  explicit TrendBound(int log2_buckets = 21);

  // Adds `value` (log space) to `key`'s bucket, and returns the bucket's new
  // bound. Add a row's increments before writing them: a reader that sees
  // the row then sees the bound too.
  double Add(absl::string_view key, double value);
  // At least the stored value of `key`'s row.
  double Bound(absl::string_view key) const;

 private:
  size_t Bucket(absl::string_view key) const;

  const size_t mask_;
  std::unique_ptr<std::atomic<double>[]> buckets_;
};

}  // namespace zhongcao::store
