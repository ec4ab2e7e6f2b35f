// What the pipeline knows about one request: who asks, where, when, and
// what must not be shown again. Built once per request, read by every stage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

struct FeedContext {
  std::string user_id;
  store::UserRecord user;          // profile (maybe absent) and history
  std::vector<float> user_vector;  // empty for a cold-start user
  std::string region;              // request region, else the user's
  v1::Surface surface = v1::SURFACE_HOME;
  int64_t now_ms = 0;
  uint32_t kind_mask = 0xFF;                   // bit (1 << ItemKind) allowed
  absl::flat_hash_set<std::string> seen;       // from the user's history
  absl::flat_hash_set<uint32_t> served;        // hashes from the page token
  absl::flat_hash_set<std::string> following;  // creator ids
  absl::flat_hash_set<std::string> blocked;    // creator ids
  // Hydrated creators; node-based so candidates can point into it.
  absl::node_hash_map<std::string, v1::Creator> creators;

  bool KindAllowed(int kind) const { return (kind_mask >> kind) & 1u; }
};

}  // namespace zhongcao::ranking
