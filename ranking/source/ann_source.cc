#include "ranking/source/ann_source.h"

namespace zhongcao::ranking {

absl::StatusOr<std::vector<Candidate>> AnnSource::Fetch(const FeedContext& context,
                                                        int budget) const {
  std::vector<Candidate> out;
  const std::vector<float>& query = vector_(context);
  if (query.empty() || budget <= 0) return out;
  if (context.item_index == nullptr) {
    return absl::FailedPreconditionError("the request has no item index");
  }
  index::SearchFilter filter;
  filter.kind_mask = context.kind_mask;
  filter.region = context.region;
  filter.available_only = true;
  if (context.seen_in_index != nullptr) {
    filter.exclude_resolved = context.seen_in_index;
  } else {
    filter.exclude_ids.assign(context.seen.begin(), context.seen.end());
  }
  // Items served on earlier pages are known only by hash, so ask for that
  // many more; the page filter drops them.
  const int k = budget + static_cast<int>(context.served.size());
  absl::StatusOr<std::vector<index::Hit>> hits =
      context.item_index->index->Search(query, k, filter);
  if (!hits.ok()) return hits.status();
  out.reserve(hits->size());
  for (index::Hit& hit : *hits) {
    Candidate c;
    c.item_id = std::move(hit.id);
    c.sources.emplace_back(name_);
    c.retrieval_similarity = hit.score;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhongcao::ranking
