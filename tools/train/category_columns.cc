#include "tools/train/category_columns.h"

#include <vector>

namespace zhongcao::train {

FeedbackMatrix AddCategoryColumns(const FeedbackMatrix& items,
                                  std::span<const int32_t> item_category,
                                  int32_t categories, float column_weight) {
  std::vector<FeedbackMatrix::Triplet> triplets;
  triplets.reserve(static_cast<size_t>(items.entries()) * 2);
  for (int32_t u = 0; u < items.users(); ++u) {
    for (const FeedbackMatrix::Entry& e : items.UserRow(u)) {
      triplets.push_back({u, e.index, e.weight});
      const int32_t g = item_category[e.index];
      if (g >= 0 && column_weight > 0) {
        triplets.push_back({u, items.items() + g, column_weight * e.weight});
      }
    }
  }
  return FeedbackMatrix::FromTriplets(items.users(), items.items() + categories,
                                      std::move(triplets));
}

void FoldCategories(std::span<const int32_t> item_category, int32_t items,
                    float score_weight, AlsModel& model) {
  FactorMatrix folded = model.items.topRows(items);
  for (int32_t i = 0; i < items; ++i) {
    const int32_t g = item_category[i];
    if (g >= 0) folded.row(i) += score_weight * model.items.row(items + g);
  }
  model.items = std::move(folded);
}

}  // namespace zhongcao::train
