#include "tools/rank_train/exposure_examples.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ranking/scorer/ranking_features.h"

namespace zhongcao::rank_train {
namespace {

std::string Key(absl::string_view request_id, absl::string_view item_id) {
  return absl::StrCat(request_id, absl::string_view("\0", 1), item_id);
}

// The item's features in this build's order, or false when the item was
// logged with another feature list.
bool ReadFeatures(const v1::ExposedItem& item, std::vector<float>* out) {
  const std::vector<std::string>& names = ranking::RankingFeatureNames();
  if (item.features_size() != static_cast<int>(names.size())) return false;
  out->resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = item.features().find(names[i]);
    if (it == item.features().end()) return false;
    (*out)[i] = it->second;
  }
  return true;
}

}  // namespace

void OutcomeLabels::Add(const v1::Event& event) {
  if (event.request_id().empty()) return;
  ++outcomes_;
  int& label = labels_[Key(event.request_id(), event.item_id())];
  label = std::max(label, RankingLabel(event.type()));
}

int OutcomeLabels::Label(absl::string_view request_id, absl::string_view item_id) const {
  auto it = labels_.find(Key(request_id, item_id));
  return it == labels_.end() ? 0 : it->second;
}

void AppendExamples(const v1::Exposure& exposure, const OutcomeLabels& labels,
                    const ExampleJoinOptions& options, std::vector<RankingExample>* out,
                    ExampleJoinStats* stats) {
  ++stats->exposures;
  stats->served_items += exposure.items_size();
  const size_t first = out->size();
  int64_t positives = 0;
  for (const v1::ExposedItem& item : exposure.items()) {
    RankingExample e;
    if (!ReadFeatures(item, &e.features)) {
      ++stats->skipped_other_features;
      continue;
    }
    e.request_id = exposure.request_id();
    e.label = labels.Label(exposure.request_id(), item.item_id());
    positives += e.label > 0;
    out->push_back(std::move(e));
  }
  if (out->size() == first) return;
  if (positives == 0 && options.requests_with_outcomes_only) {
    out->resize(first);
    ++stats->skipped_requests;
    return;
  }
  ++stats->requests;
  stats->requests_with_outcome += positives > 0;
  stats->positive_examples += positives;
  stats->examples += static_cast<int64_t>(out->size() - first);
}

}  // namespace zhongcao::rank_train
