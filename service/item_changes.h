// How a stored item becomes a change to the item index: its vector and the
// attributes searches filter on. Shared by the write path and replay.
#pragma once

#include <string>

#include "index/vector_index.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::service {

// The index's filter attributes of an item.
index::ItemAttributes IndexAttributesOf(const v1::Item& item);
// The item's vector and attributes; an item without an embedding removes it.
index::IndexChange ItemChangeOf(const v1::Item& item);
index::IndexChange ItemRemovalOf(const std::string& id);

}  // namespace zhongcao::service
