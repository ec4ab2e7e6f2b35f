#include "store/log_keys.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "rocksdb/write_batch.h"
#include "store/keys.h"

namespace zhongcao::store {
namespace {

// Times before the epoch (never produced by the server's clock) sort first.
uint64_t Unsigned(int64_t ms) { return static_cast<uint64_t>(std::max<int64_t>(0, ms)); }

}  // namespace

std::string LogTimeKey(int64_t ms) { return EncodeUint64(Unsigned(ms)); }

std::string ExposureKey(int64_t logged_at_ms, absl::string_view request_id) {
  return absl::StrCat(LogTimeKey(logged_at_ms), request_id);
}

std::string OutcomeKey(int64_t logged_at_ms, absl::string_view request_id,
                       absl::string_view item_id, uint64_t sequence) {
  return absl::StrCat(LogTimeKey(logged_at_ms), request_id, absl::string_view("\0", 1),
                      item_id, absl::string_view("\0", 1), EncodeUint64(sequence));
}

bool DecodeLogTime(absl::string_view key, int64_t* ms) {
  if (key.size() < 8) return false;
  *ms = static_cast<int64_t>(DecodeUint64(key.substr(0, 8)));
  return true;
}

void AddOutcomeRows(std::span<const v1::Event> events,
                    rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch) {
  // Unique within the process; across restarts the clock has moved on.
  static std::atomic<uint64_t> sequence{0};
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (const v1::Event& event : events) {
    if (event.request_id().empty()) continue;
    batch->Put(family,
               OutcomeKey(now_ms, event.request_id(), event.item_id(),
                          sequence.fetch_add(1, std::memory_order_relaxed)),
               event.SerializeAsString());
  }
}

}  // namespace zhongcao::store
