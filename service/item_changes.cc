#include "service/item_changes.h"

namespace zhongcao::service {

index::ItemAttributes IndexAttributesOf(const v1::Item& item) {
  index::ItemAttributes attributes;
  attributes.kind = static_cast<uint8_t>(item.kind());
  attributes.regions.assign(item.regions().begin(), item.regions().end());
  attributes.available = !item.unavailable() && (item.kind() != v1::ITEM_KIND_PRODUCT ||
                                                 item.product().stock() > 0);
  return attributes;
}

index::IndexChange ItemChangeOf(const v1::Item& item) {
  index::IndexChange change;
  change.id = item.id();
  change.vector.assign(item.embedding().begin(), item.embedding().end());
  if (!change.vector.empty()) change.attributes = IndexAttributesOf(item);
  return change;
}

index::IndexChange ItemRemovalOf(const std::string& id) {
  index::IndexChange change;
  change.id = id;
  return change;
}

}  // namespace zhongcao::service
