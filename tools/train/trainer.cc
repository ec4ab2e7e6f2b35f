#include "tools/train/trainer.h"

namespace zhongcao::train {

absl::StatusOr<TrainedModel> Train(const InteractionLog& log,
                                   std::span<const Interaction> events,
                                   const TrainSettings& settings,
                                   const std::function<void(int)>& after_iteration) {
  TrainedModel out{FeedbackMatrix::Build(log.users.size(), log.items.size(), events,
                                         settings.weights, settings.half_life),
                   {}};
  const bool with_categories =
      settings.categories.column_weight > 0 && log.categories.size() > 0;
  absl::StatusOr<AlsModel> model =
      with_categories ? TrainAls(AddCategoryColumns(out.feedback, log.item_category,
                                                    log.categories.size(),
                                                    settings.categories.column_weight),
                                 settings.als, after_iteration)
                      : TrainAls(out.feedback, settings.als, after_iteration);
  if (!model.ok()) return model.status();
  out.model = *std::move(model);
  if (with_categories) {
    FoldCategories(log.item_category, log.items.size(), settings.categories.score_weight,
                   out.model);
  }
  return out;
}

}  // namespace zhongcao::train
