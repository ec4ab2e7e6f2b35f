// A deterministic synthetic social-commerce catalog for demos, benchmarks and
// tests: creators, products, content, users with embeddings, and a log of
// events. Pure computation, no I/O.
//
// The data has the structure a recommender should find. Items belong to
// topics (real shopping categories such as "skincare" or "coffee", grouped
// into families such as beauty or food); an item's embedding sits near its
// topic's centroid, and a user's embedding mixes the centroids of the user's
// 1-3 interest topics. Events follow the user's interests, with a Zipf-like
// popularity inside each topic, so a few items are popular everywhere.
// Popular items sit nearer their topic's centroid, as trained embeddings
// tend to place them. `held_out` holds each user's next few positive events,
// so an evaluation can check that a personalised ranking beats a popular one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::demo {

// What to generate. Every count may be zero except `dim`, `topics`,
// `creators` (when there are items) and `regions`.
struct CatalogSpec {
  uint64_t seed = 42;
  int dim = 64;           // embedding dimension
  int creators = 200;     // all tiers; about 8% KOL, 62% KOC, 20% BRAND, 10% staff
  int products = 2000;    // items of kind PRODUCT
  int content = 8000;     // NOTE (60%), VIDEO (35%) and LIVE (5%) items
  int users = 1000;
  int events_per_user = 30;  // exactly this many events per user
  // Topics beyond the 24 named categories are called "topic24", "topic25"...
  int topics = 24;
  // 0: an item's (and a user's) offset from its topic centroid is isotropic
  // in all `dim` dimensions, as in the demo. 1..dim: the offset lies in a
  // `latent_dim`-dimensional subspace of its topic, as trained embeddings
  // do (a low intrinsic dimension); ANN benchmarks need that, since
  // isotropic noise makes every index look bad. The offsets' norms, and so
  // the cosines to the centroids, are the same either way, and only the
  // embeddings differ: every other field comes out the same.
  int latent_dim = 0;
  std::vector<std::string> regions = {"shanghai",  "beijing",   "guangzhou",
                                      "chengdu",   "hangzhou",  "singapore",
                                      "jakarta",   "bangkok"};
  // The catalog's "now" (Unix ms, 2025-11-23T00:00Z by default): items are
  // created and events happen before it, so the output does not depend on
  // the clock.
  int64_t now_ms = 1763856000000;
};

struct Catalog {
  std::vector<v1::Creator> creators;
  // Products first, then content, so a loader that writes them in order
  // never writes a link to a product it has not written yet.
  std::vector<v1::Item> items;
  std::vector<v1::User> users;
  // Grouped by user, increasing in time within a user, all before
  // now_ms - 1 day (a funnel that starts just before may run a few minutes
  // over).
  std::vector<v1::Event> events;
  // 3-5 positive events (CLICK or better) per user, after all of the user's
  // `events`, on distinct items the user has no event for in `events`. Not
  // part of the catalog to load: they are the "future" to evaluate against.
  std::vector<v1::Event> held_out;
};

// OK, or INVALID_ARGUMENT naming the first bad field of `spec`.
absl::Status ValidateCatalogSpec(const CatalogSpec& spec);

// The catalog of `spec`, which must be valid (see ValidateCatalogSpec).
// The same spec gives the same catalog, message for message and bit for bit,
// with the same standard library: only std::mt19937_64 (fully specified) and
// distributions written here are used, never std::*_distribution (whose
// output is implementation-defined). Floating-point results also depend on
// the platform's libm (log, cos, sqrt, pow), which is deterministic on one
// platform. Each part (creators, items, each user's events...) draws from its
// own seeded stream, so e.g. changing `events_per_user` leaves items alone.
Catalog GenerateCatalog(const CatalogSpec& spec);

// The name of topic `index` (a product's `category`), e.g. "skincare".
std::string TopicName(int index);

}  // namespace zhongcao::demo
