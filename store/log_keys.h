// Key layouts of the exposure and outcome logs: big-endian server time
// first, so a scan runs oldest first and retention is one range delete.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "zhongcao/v1/types.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace zhongcao::store {

// Every row logged at or after `ms` sorts at or after this key.
std::string LogTimeKey(int64_t ms);
// time, request id.
std::string ExposureKey(int64_t logged_at_ms, absl::string_view request_id);
// time, request id, '\0', item id, '\0', a sequence number that keeps two
// equal events apart.
std::string OutcomeKey(int64_t logged_at_ms, absl::string_view request_id,
                       absl::string_view item_id, uint64_t sequence);
// The time at the front of any log key; false for a key shorter than that.
bool DecodeLogTime(absl::string_view key, int64_t* ms);

// Puts one outcome row for each event that names a request id, logged at
// the server's current time.
void AddOutcomeRows(std::span<const v1::Event> events,
                    rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch);

}  // namespace zhongcao::store
