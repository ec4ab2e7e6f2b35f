#include "store/recent_items_memo.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace zhongcao::store {

void MakeNewest(const std::string& item, size_t room, std::vector<std::string>* recent) {
  auto it = std::find(recent->begin(), recent->end(), item);
  if (it != recent->end()) recent->erase(it);
  recent->insert(recent->begin(), item);
  if (recent->size() > room) recent->resize(room);
}

RecentItemsMemo::RecentItemsMemo(size_t max_users, size_t room)
    : max_per_shard_((max_users + kShards - 1) / kShards), room_(room) {}

RecentItemsMemo::Shard& RecentItemsMemo::ShardOf(absl::string_view user_id) const {
  // Not absl's hash: the shard's map takes its slot bits from that one, and
  // a shard whose keys all share them would crowd its probes.
  const std::string_view key(user_id.data(), user_id.size());
  return shards_[std::hash<std::string_view>()(key) % kShards];
}

bool RecentItemsMemo::Find(absl::string_view user_id,
                           std::vector<std::string>* recent) const {
  Shard& shard = ShardOf(user_id);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.users.find(user_id);
  if (it == shard.users.end()) return false;
  *recent = it->second;
  return true;
}

void RecentItemsMemo::Update(const std::string& user_id,
                             std::span<const std::string> batch_items,
                             const std::vector<std::string>& newest) {
  if (max_per_shard_ == 0) return;
  Shard& shard = ShardOf(user_id);
  absl::MutexLock lock(&shard.mu);
  auto [it, inserted] = shard.users.try_emplace(user_id);
  if (!inserted) {
    for (const std::string& item : batch_items) MakeNewest(item, room_, &it->second);
    return;
  }
  it->second.assign(newest.begin(), newest.begin() + std::min(newest.size(), room_));
  if (shard.users.size() <= max_per_shard_) return;
  // Erasing leaves the other iterators of a flat_hash_map valid.
  auto victim = shard.users.begin();
  if (victim == it) ++victim;
  shard.users.erase(victim);
}

size_t RecentItemsMemo::size() const {
  size_t n = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    n += shard.users.size();
  }
  return n;
}

}  // namespace zhongcao::store
