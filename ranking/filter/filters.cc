#include "ranking/filter/filters.h"

#include <algorithm>

namespace zhongcao::ranking {

bool SeenFilter::Keep(const Candidate& c, const FeedContext& context) const {
  return !context.seen.contains(c.item_id);
}

bool ServedFilter::Keep(const Candidate& c, const FeedContext& context) const {
  return !context.served.contains(ServedHash(c.item_id));
}

bool ExistsFilter::Keep(const Candidate& c, const FeedContext&) const {
  return c.item != nullptr;
}

bool KindFilter::Keep(const Candidate& c, const FeedContext& context) const {
  return context.KindAllowed(c.item->kind());
}

bool RegionFilter::Keep(const Candidate& c, const FeedContext& context) const {
  const auto& regions = c.item->regions();
  return regions.empty() || context.region.empty() ||
         std::find(regions.begin(), regions.end(), context.region) != regions.end();
}

bool AvailabilityFilter::Keep(const Candidate& c, const FeedContext&) const {
  const v1::Item& item = *c.item;
  if (item.unavailable()) return false;
  return item.kind() != v1::ITEM_KIND_PRODUCT || item.product().stock() > 0;
}

bool ShoppableFilter::Keep(const Candidate& c, const FeedContext& context) const {
  return !context.ShoppingSurface() || c.item->kind() == v1::ITEM_KIND_PRODUCT ||
         c.linked_in_stock > 0;
}

bool BlockedCreatorFilter::Keep(const Candidate& c, const FeedContext& context) const {
  return context.blocked.empty() || !context.blocked.contains(c.item->creator_id());
}

}  // namespace zhongcao::ranking
