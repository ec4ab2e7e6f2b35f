// The requests the load generator sends: which user and item ids it draws
// from (a file or a demo-style numbered range) and one request of each call.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/loadgen/request_mix.h"
#include "zhongcao/v1/ingest.pb.h"
#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::loadgen {

// Ids of a file, one per line; blank lines and lines starting with '#' are
// skipped, surrounding whitespace is trimmed. An empty file is an error.
absl::StatusOr<std::vector<std::string>> ReadIdsFile(const std::string& path);

// prefix + zero-padded number for 0..count-1, the way tools/demo names its
// ids: NumberedIds("u", 3, 6) is u000000, u000001, u000002.
std::vector<std::string> NumberedIds(absl::string_view prefix, int64_t count, int width);

struct RequestShape {
  int feed_count = 20;       // GetFeed, GetRelated and FindLookalikes `count`
  int rank_products = 20;    // product ids per RankProducts; 0: let the server find them
  int lookalike_seeds = 10;  // seed users per FindLookalikes
  std::string region;        // Context.region; empty: the user's own
  // Ingest. UpsertItems sends `upsert_batch` new items (1..1000) of `dim`
  // (the server's dimension), ids `new_item_prefix` + 16 random hex digits;
  // RecordEvents sends `event_batch` events (1..10000) of the users on the
  // items (which must exist).
  int upsert_batch = 1000;
  int event_batch = 1000;
  // Writes sent as dry runs: the server checks them whole and writes
  // nothing, which measures what a write costs before the store.
  bool validate_only = false;
  int dim = 0;
  std::string new_item_prefix = "lg-";
};

// Builds random requests. Const and stateless apart from the ids, so any
// thread may call it with its own random generator.
class RequestFactory {
 public:
  // Checks that the ids and shape can make every call the mix uses (e.g.
  // RankProducts needs at least `rank_products` distinct items).
  static absl::StatusOr<RequestFactory> Create(std::vector<std::string> users,
                                               std::vector<std::string> items,
                                               RequestShape shape, const RequestMix& mix);

  v1::GetFeedRequest Feed(std::mt19937_64& rng) const;
  v1::RankProductsRequest Rank(std::mt19937_64& rng) const;
  v1::GetRelatedRequest Related(std::mt19937_64& rng) const;
  v1::FindLookalikesRequest Lookalikes(std::mt19937_64& rng) const;
  // New NOTE items with random unit embeddings, created now.
  v1::UpsertItemsRequest Upsert(std::mt19937_64& rng) const;
  // Events of random users on random items, mostly impressions and clicks
  // (a feed's funnel), stamped now.
  v1::RecordEventsRequest Events(std::mt19937_64& rng) const;
  // Rows one OK request of `type` carries: its batch for the writes, 1 else.
  int RowsPerRequest(CallType type) const;

  const std::vector<std::string>& users() const { return users_; }
  const std::vector<std::string>& items() const { return items_; }
  const RequestShape& shape() const { return shape_; }

 private:
  RequestFactory() = default;
  const std::string& User(std::mt19937_64& rng) const;
  // k distinct indices of [0, n), by Floyd's algorithm (k <= n).
  static std::vector<size_t> Distinct(size_t k, size_t n, std::mt19937_64& rng);

  std::vector<std::string> users_;
  std::vector<std::string> items_;
  RequestShape shape_;
};

}  // namespace zhongcao::loadgen
