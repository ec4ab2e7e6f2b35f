// One training run: events to a feedback matrix (with category columns when
// asked for), ALS, and back to one vector per user and per item.
#pragma once

#include <functional>
#include <span>

#include "absl/status/statusor.h"
#include "tools/train/als.h"
#include "tools/train/category_columns.h"
#include "tools/train/event_weights.h"
#include "tools/train/feedback_matrix.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::train {

struct TrainSettings {
  EventWeights weights = EventWeights::Default();
  double half_life = 0;  // see FeedbackMatrix::Build(); 0: no decay
  AlsOptions als;
  CategoryOptions categories;
};

struct TrainedModel {
  FeedbackMatrix feedback;  // users x items, no category columns
  AlsModel model;           // one row per user of the log, one per item
};

// `events` index `log`'s users and items (e.g. a split's training events).
absl::StatusOr<TrainedModel> Train(
    const InteractionLog& log, std::span<const Interaction> events,
    const TrainSettings& settings,
    const std::function<void(int)>& after_iteration = nullptr);

}  // namespace zhongcao::train
