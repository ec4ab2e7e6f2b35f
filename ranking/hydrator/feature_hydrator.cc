#include "ranking/hydrator/feature_hydrator.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "ranking/scorer/weighted_scorer.h"

namespace zhongcao::ranking {

absl::Status FeatureHydrator::HydrateLinkedProducts(
    std::vector<Candidate>* candidates) const {
  std::vector<std::string> ids;
  absl::flat_hash_map<std::string, size_t> position;
  for (const Candidate& c : *candidates) {
    if (c.item == nullptr) continue;
    for (const std::string& id : c.item->linked_product_ids()) {
      if (position.try_emplace(id, ids.size()).second) ids.push_back(id);
    }
  }
  if (ids.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<store::ItemRecord>> products = store_.ReadItems(ids);
  if (!products.ok()) return products.status();
  for (Candidate& c : *candidates) {
    if (c.item == nullptr) continue;
    for (const std::string& id : c.item->linked_product_ids()) {
      const store::ItemRecord& p = (*products)[position[id]];
      if (p.item == nullptr || p.item->unavailable() || p.item->product().stock() <= 0) {
        continue;
      }
      ++c.linked_in_stock;
      c.linked_purchase_signal =
          std::max(c.linked_purchase_signal, PurchaseSignal(p.counters, *p.item));
    }
  }
  return absl::OkStatus();
}

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
    if (c.item != nullptr && !c.item->creator_id().empty() &&
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
    if (c.item == nullptr) continue;
    auto it = context->creators.find(c.item->creator_id());
    c.creator = it == context->creators.end() ? nullptr : &it->second;
  }
  return HydrateLinkedProducts(candidates);
}

}  // namespace zhongcao::ranking
