#include "ranking/exposure_record.h"

#include <algorithm>
#include <chrono>

#include "ranking/scorer/ranking_features.h"

namespace zhongcao::ranking {

store::ExposureRow MakeExposure(const ServedResponse& response,
                                std::span<const Candidate> items,
                                std::span<const std::string> item_arms) {
  store::ExposureRow row;
  v1::Exposure& exposure = *row.mutable_exposure();
  exposure.set_request_id(response.request_id);
  exposure.set_user_id(response.user_id);
  exposure.set_logged_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  exposure.set_request_now_ms(response.request_now_ms);
  exposure.set_method(response.method);
  if (response.arms != nullptr) {
    for (const ArmChoice& choice : *response.arms) {
      (*exposure.mutable_arms())[choice.experiment] = choice.arm;
    }
  }
  exposure.set_interleaved_experiment(response.interleaved_experiment);
  exposure.set_page(response.page);
  exposure.set_surface(response.surface);
  exposure.set_index_version(response.index_version);
  const std::vector<std::string>& names = RankingFeatureNames();
  row.mutable_feature_names()->Add(names.begin(), names.end());
  for (size_t i = 0; i < items.size(); ++i) {
    const Candidate& c = items[i];
    v1::ExposedItem* item = exposure.add_items();
    item->set_item_id(c.item_id);
    item->set_position(static_cast<int>(i));
    if (i < item_arms.size()) item->set_arm(item_arms[i]);
    item->set_score(c.score);
    const size_t count = std::min(c.features.size(), names.size());
    row.add_item_features()->mutable_values()->Add(c.features.begin(),
                                                   c.features.begin() + count);
    for (const std::string& source : c.sources) item->add_sources(source);
  }
  return row;
}

}  // namespace zhongcao::ranking
