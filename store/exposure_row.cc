#include "store/exposure_row.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zhongcao::store {

absl::StatusOr<v1::Exposure> ExposureFromRow(absl::string_view bytes) {
  ExposureRow row;
  if (!row.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("unparseable exposure");
  }
  v1::Exposure exposure;
  if (!row.has_exposure()) {
    // Stored before ExposureRow: the bytes are the exposure itself.
    if (!exposure.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError("unparseable exposure");
    }
    return exposure;
  }
  exposure = std::move(*row.mutable_exposure());
  if (row.item_features_size() > exposure.items_size()) {
    return absl::DataLossError(absl::StrCat(
        "exposure ", exposure.request_id(), " has ", row.item_features_size(),
        " feature lists for ", exposure.items_size(), " items"));
  }
  for (int i = 0; i < row.item_features_size(); ++i) {
    const PackedFeatures& packed = row.item_features(i);
    if (packed.values_size() > row.feature_names_size()) {
      return absl::DataLossError(absl::StrCat("exposure ", exposure.request_id(),
                                              " has more feature values than names"));
    }
    auto& features = *exposure.mutable_items(i)->mutable_features();
    for (int f = 0; f < packed.values_size(); ++f) {
      features[row.feature_names(f)] = packed.values(f);
    }
  }
  return exposure;
}

}  // namespace zhongcao::store
