#include "ranking/hydrator/feature_hydrator.h"

#include "absl/container/flat_hash_set.h"

namespace zhongcao::ranking {

absl::Status FeatureHydrator::Hydrate(FeedContext* context,
                                      std::vector<Candidate>* candidates) const {
  std::vector<std::string> ids;
  ids.reserve(candidates->size());
  for (const Candidate& c : *candidates) ids.push_back(c.item_id);
  absl::StatusOr<std::vector<store::ItemRecord>> records = store_.ReadItems(ids);
  if (!records.ok()) return records.status();
  std::vector<std::string> creator_ids;
  absl::flat_hash_set<std::string> wanted;
  for (size_t i = 0; i < candidates->size(); ++i) {
    Candidate& c = (*candidates)[i];
    c.item = std::move((*records)[i].item);
    c.counters = std::move((*records)[i].counters);
    if (c.item.has_value() && !c.item->creator_id().empty() &&
        !context->creators.contains(c.item->creator_id()) &&
        wanted.insert(c.item->creator_id()).second) {
      creator_ids.push_back(c.item->creator_id());
    }
  }
  if (!creator_ids.empty()) {
    absl::StatusOr<std::vector<v1::Creator>> creators = store_.ReadCreators(creator_ids);
    if (!creators.ok()) return creators.status();
    for (v1::Creator& creator : *creators) {
      std::string id = creator.id();
      context->creators.emplace(std::move(id), std::move(creator));
    }
  }
  for (Candidate& c : *candidates) {
    if (!c.item.has_value()) continue;
    auto it = context->creators.find(c.item->creator_id());
    c.creator = it == context->creators.end() ? nullptr : &it->second;
  }
  return absl::OkStatus();
}

}  // namespace zhongcao::ranking
