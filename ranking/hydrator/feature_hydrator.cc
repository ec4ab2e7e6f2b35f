#include "ranking/hydrator/feature_hydrator.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "ranking/prefetch.h"
#include "ranking/scorer/weighted_scorer.h"

namespace zhongcao::ranking {

absl::Status FeatureHydrator::HydrateLinkedProducts(
    std::vector<Candidate>* candidates) const {
  // Each distinct product is read once; the views point into the
  // candidates' items, which the candidates keep alive.
  std::vector<std::string> ids;
  absl::flat_hash_map<absl::string_view, uint32_t> position;
  // Per candidate, its links as positions in `ids`, in one array.
  std::vector<uint32_t> links;
  std::vector<uint32_t> link_end(candidates->size());
  // The items were read just before; their links' arrays, then the id
  // strings these point to, are not.
  for (const Candidate& c : *candidates) {
    if (c.item != nullptr) __builtin_prefetch(c.item->linked_product_ids().data());
  }
  for (const Candidate& c : *candidates) {
    if (c.item == nullptr) continue;
    for (const std::string& id : c.item->linked_product_ids()) Prefetch(&id);
  }
  for (size_t i = 0; i < candidates->size(); ++i) {
    const Candidate& c = (*candidates)[i];
    if (c.item != nullptr) {
      for (const std::string& id : c.item->linked_product_ids()) {
        auto [it, inserted] = position.try_emplace(id, static_cast<uint32_t>(ids.size()));
        if (inserted) ids.push_back(id);
        links.push_back(it->second);
      }
    }
    link_end[i] = static_cast<uint32_t>(links.size());
  }
  if (ids.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<store::ItemRecord>> products = store_.ReadItems(ids);
  if (!products.ok()) return products.status();
  for (const store::ItemRecord& product : *products) {
    Prefetch(product.item.get());
    Prefetch(product.counters.get());
  }
  for (const store::ItemRecord& product : *products) {
    if (product.item != nullptr) Prefetch(&product.item->product());
  }
  // What a product lends to the content linking it: -1 when out of stock.
  std::vector<float> signal(ids.size(), -1);
  for (size_t p = 0; p < ids.size(); ++p) {
    const store::ItemRecord& product = (*products)[p];
    if (product.item == nullptr || product.item->unavailable() ||
        product.item->product().stock() <= 0) {
      continue;
    }
    signal[p] = PurchaseSignal(*product.counters, *product.item);
  }
  uint32_t begin = 0;
  for (size_t i = 0; i < candidates->size(); ++i) {
    Candidate& c = (*candidates)[i];
    for (uint32_t l = begin; l < link_end[i]; ++l) {
      const float s = signal[links[l]];
      if (s < 0) continue;
      ++c.linked_in_stock;
      c.linked_purchase_signal = std::max(c.linked_purchase_signal, s);
    }
    begin = link_end[i];
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
  if (context->item_index != nullptr) {
    const size_t dim = static_cast<size_t>(context->item_index->index->dim());
    std::vector<float>& block = context->vector_blocks.emplace_back(ids.size() * dim);
    const std::vector<bool> found = context->item_index->index->CopyVectors(ids, block);
    for (size_t i = 0; i < candidates->size(); ++i) {
      if (found[i]) (*candidates)[i].embedding = std::span(block).subspan(i * dim, dim);
    }
  }
  // Each item, then its creator id (a string of its own), before any is read.
  for (const store::ItemRecord& record : *records) Prefetch(record.item.get());
  for (const store::ItemRecord& record : *records) {
    if (record.item != nullptr) Prefetch(&record.item->creator_id());
  }
  std::vector<std::string> creator_ids;
  absl::flat_hash_set<absl::string_view> wanted;
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
    absl::StatusOr<std::vector<std::shared_ptr<const v1::Creator>>> creators =
        store_.ReadCreators(creator_ids);
    if (!creators.ok()) return creators.status();
    for (std::shared_ptr<const v1::Creator>& creator : *creators) {
      std::string id = creator->id();
      context->creators.emplace(std::move(id), std::move(creator));
    }
  }
  for (Candidate& c : *candidates) {
    if (c.item == nullptr) continue;
    auto it = context->creators.find(c.item->creator_id());
    c.creator = it == context->creators.end() ? nullptr : it->second.get();
  }
  return HydrateLinkedProducts(candidates);
}

}  // namespace zhongcao::ranking
