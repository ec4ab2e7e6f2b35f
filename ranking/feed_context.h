// What the pipeline knows about one request: who asks, where, when, and
// what must not be shown again. Built once per request, read by every stage.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "index/serving_index.h"
#include "ranking/campaign.h"
#include "ranking/covisit_affinity.h"
#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

struct FeedContext {
  // The item index version this request searches, taken once at its start
  // so that every stage sees the same one however often it is swapped.
  std::shared_ptr<const index::IndexVersion> item_index;
  std::string user_id;
  store::UserRecord user;          // profile (maybe absent) and history
  std::vector<float> user_vector;  // empty for a cold-start user
  // Built from the user's latest events; empty without recent events.
  std::vector<float> session_vector;
  // Item ids behind the session vector, newest first, with the type of the
  // user's strongest event on each (for reasons like "similar to an item
  // you saved"), and their embeddings, aligned.
  std::vector<std::pair<std::string, v1::EventType>> session_items;
  std::vector<std::vector<float>> session_item_embeddings;
  std::string region;  // request region, else the user's
  v1::Surface surface = v1::SURFACE_HOME;
  int64_t now_ms = 0;
  uint32_t kind_mask = 0xFF;              // bit (1 << ItemKind) allowed
  absl::flat_hash_set<std::string> seen;  // from the user's history
  // `seen` looked up once in item_index, for every ANN source to leave out;
  // null when no ANN source runs. A heavy user has seen 1,000 items, and
  // each source looking each one up was a tenth of their feed's CPU.
  std::shared_ptr<const index::ResolvedIds> seen_in_index;
  absl::flat_hash_set<uint32_t> served;  // hashes from the page token
  // Items per creator (by CreatorHash) among the session's latest served
  // items, from the page token, for the per-session creator cap.
  absl::flat_hash_map<uint32_t, int> session_creator_counts;
  std::vector<Campaign> open_campaigns;  // open at now_ms
  // Co-occurrence of unseen items with the user's latest ones, for the
  // covisit source and the scorer; empty when both are off.
  CovisitAffinity covisit;
  // The items on the trending board of the request's region (else of all
  // regions), each with its share of the best one's score; null or empty
  // when there is none.
  std::shared_ptr<const store::TrendSnapshot> trend;
  // Median price of the products in the user's recent history, in cents;
  // 0 when unknown. The scorer's price-fit feature compares against it.
  double typical_price_cents = 0;
  absl::flat_hash_set<std::string> following;  // creator ids
  absl::flat_hash_set<std::string> blocked;    // creator ids
  // Hydrated creators, shared with the store's cache; candidates point
  // into them.
  absl::flat_hash_map<std::string, std::shared_ptr<const v1::Creator>> creators;
  // The hydrated candidates' embeddings, one block per hydration;
  // candidates point into them (Candidate::embedding), so they live as
  // long as the request's context.
  std::deque<std::vector<float>> vector_blocks;

  bool KindAllowed(int kind) const { return (kind_mask >> kind) & 1u; }
  bool ShoppingSurface() const {
    return surface == v1::SURFACE_SHOP || surface == v1::SURFACE_PRODUCT_PAGE;
  }
};

}  // namespace zhongcao::ranking
