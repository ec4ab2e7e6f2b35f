// The short-term session vector: what the user engaged with in their latest
// events, as one direction in embedding space, for "ann:session" and the
// scorer's session similarity.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/feature_store.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

struct SessionVector {
  std::vector<float> vector;  // unit length; empty when nothing contributed
  // Items that contributed, newest first, with the user's strongest event
  // type on each (purchase > add to cart > save, share > like, comment > ...).
  std::vector<std::pair<std::string, v1::EventType>> items;
};

// How much an event of `type` moves the session vector: a purchase (8) far
// more than a click (1); impressions not at all.
double SessionEventWeight(v1::EventType type);

// The distinct item ids of the newest `max_events` events of `history`,
// newest first: the items to read before BuildSessionVector.
std::vector<std::string> SessionItemIds(const store::UserHistory& history,
                                        int max_events);

// The normalised sum of item embeddings over the newest `max_events` events,
// each weighted by SessionEventWeight times 0.5^(age / half life) times
// position_decay^p, where p is the position of the event's item among the
// contributing items, newest first (so the latest item leads even when all
// events carry one time, as in replayed logs). A non-positive half life
// means no time decay; a position decay of 1 means none by position.
// `vectors[i]` is the embedding of `ids[i]`, e.g. the index's vectors
// (VectorIndex::Vectors) of SessionItemIds(history, max_events), in any
// order; items without a vector, or whose vector's dimension differs from
// the first one found, are skipped.
SessionVector BuildSessionVector(const store::UserHistory& history,
                                 std::span<const std::string> ids,
                                 std::span<const std::vector<float>> vectors,
                                 int64_t now_ms, double half_life_minutes,
                                 int max_events = std::numeric_limits<int>::max(),
                                 double position_decay = 1.0);

}  // namespace zhongcao::ranking
