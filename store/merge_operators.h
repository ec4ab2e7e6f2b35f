// RocksDB merge operators that let events update counters, histories and trends
// without a read-modify-write, so concurrent writers never lose an update.
#pragma once

#include <cstdint>
#include <memory>

#include "rocksdb/merge_operator.h"

namespace zhongcao::store {

// Sums two ItemCounters field by field (last_event_ms: maximum).
std::shared_ptr<rocksdb::MergeOperator> NewCountersMergeOperator();

// Appends one UserHistory to another and keeps the newest `limit` events.
std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator(int limit);

// Adds two trend values (see store/trending.h) by log-sum-exp.
std::shared_ptr<rocksdb::MergeOperator> NewTrendMergeOperator();

// Adds two co-visitation rows (see store/covisit.h): decayed with `tau_ms`
// to the newer time, summed, and truncated to the best `row_limit`.
std::shared_ptr<rocksdb::MergeOperator> NewCovisitMergeOperator(int64_t tau_ms,
                                                                int row_limit);

}  // namespace zhongcao::store
