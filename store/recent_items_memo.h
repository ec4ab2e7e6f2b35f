// Users' newest distinct items, as the co-visitation pairing starts from
// them, kept for recently active users so that pairing a batch need not
// read and scan their stored histories.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace zhongcao::store {

// Makes `item` the newest of `recent` (newest first, distinct), keeping at
// most `room` items.
void MakeNewest(const std::string& item, size_t room, std::vector<std::string>* recent);

// Per user, the list CovisitPairer would take from the stored history: the
// newest distinct items of weighing events, at most `room`. Reading the
// histories of a batch's users was a fifth of RecordEvents' CPU, and grew
// with the history's pending merge operands. Holds at most `max_users`
// users; past that, one held user is dropped for each new one (the hash
// order picks which), and a user not held is read from the history as
// before. Memory only: a reopened store starts empty. Thread-safe.
class RecentItemsMemo {
 public:
  RecentItemsMemo(size_t max_users, size_t room);

  // The user's list when held.
  bool Find(absl::string_view user_id, std::vector<std::string>* recent) const;

  // After a batch with the user's events is durable. `batch_items` are the
  // batch's weighing items of the user, oldest first; `newest` the list the
  // pairer ended the batch with. A held list gets `batch_items` instead,
  // since another batch of the user's may have been applied to it since
  // this one started: both then count, whatever order they finish in.
  void Update(const std::string& user_id, std::span<const std::string> batch_items,
              const std::vector<std::string>& newest);

  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::vector<std::string>> users ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(absl::string_view user_id) const;

  size_t max_per_shard_;
  size_t room_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace zhongcao::store
