// Hydration: one batched read of items and counters for all candidates, one
// of their creators and one of the products they link. Never a read per
// candidate.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "ranking/candidate.h"
#include "ranking/feed_context.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {

class FeatureHydrator {
 public:
  explicit FeatureHydrator(const store::FeatureStore& store) : store_(store) {}
  // Fills item, embedding (from context->item_index, when set), counters,
  // creator and linked-product signals of every candidate; creators land in
  // context->creators and embeddings in context->vector_blocks, so the
  // context must outlive the candidates.
  absl::Status Hydrate(FeedContext* context, std::vector<Candidate>* candidates) const;

 private:
  absl::Status HydrateLinkedProducts(std::vector<Candidate>* candidates) const;

  const store::FeatureStore& store_;
};

}  // namespace zhongcao::ranking
