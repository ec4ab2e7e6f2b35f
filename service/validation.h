// Request validation shared by the gRPC layer and the write path. Every
// error is INVALID_ARGUMENT and names the offending field by its path in the
// request, e.g. "items[3].embedding[7]: not a finite number".
#pragma once

#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::service {

// Documented limits of the API (see proto comments and README).
struct Limits {
  int dim = 64;
  int max_id_bytes = 128;
  int max_batch = 1000;         // items, users, creators, deletes per call
  int max_events = 10000;       // events per call
  int max_feed_count = 100;     // GetFeed and GetRelated `count`
  int max_rank_products = 500;  // RankProducts product_ids
  int max_lookalikes = 1000;    // FindLookalikes `count`
  int max_list = 1000;          // following, blocked, linked products, tags
  int max_text_bytes = 4096;    // titles and other free text
};

// An id is 1..max_id_bytes bytes of printable ASCII or UTF-8, with no
// control characters or spaces.
absl::Status ValidateId(absl::string_view id, absl::string_view field,
                        const Limits& limits);
// An embedding that is set must have exactly `limits.dim` finite values.
absl::Status ValidateEmbedding(std::span<const float> embedding, absl::string_view field,
                               const Limits& limits, bool required);

absl::Status ValidateItem(const v1::Item& item, absl::string_view field,
                          const Limits& limits);
absl::Status ValidateUser(const v1::User& user, absl::string_view field,
                          const Limits& limits);
absl::Status ValidateCreator(const v1::Creator& creator, absl::string_view field,
                             const Limits& limits);
absl::Status ValidateEvent(const v1::Event& event, absl::string_view field,
                           const Limits& limits);
absl::Status ValidateContext(const v1::Context& context, absl::string_view field,
                             const Limits& limits);
absl::Status ValidateKind(int kind, absl::string_view field);
// A batch size in [1, max].
absl::Status ValidateBatchSize(size_t size, size_t max, absl::string_view field);

}  // namespace zhongcao::service
