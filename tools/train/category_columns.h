// Item categories as extra columns of the feedback matrix, for logs too sparse
// for items alone: users who like the same categories get similar vectors
// even when they share no item, and an item's served vector adds its
// category's vector, so that it ranks first among items of liked categories.
#pragma once

#include <cstdint>
#include <span>

#include "tools/train/als.h"
#include "tools/train/feedback_matrix.h"

namespace zhongcao::train {

struct CategoryOptions {
  // A user's entry in a category's column is `column_weight` times the sum of
  // their weights on its items; 0 leaves categories out.
  float column_weight = 0;
  // An item's vector is y_item + score_weight * y_category.
  float score_weight = 1;
};

// The matrix with one column per category after the item columns (category
// g is column items() + g). `item_category` is by item, -1 for none.
FeedbackMatrix AddCategoryColumns(const FeedbackMatrix& items,
                                  std::span<const int32_t> item_category,
                                  int32_t categories, float column_weight);

// Folds a model trained on AddCategoryColumns() back to one row per item.
void FoldCategories(std::span<const int32_t> item_category, int32_t items,
                    float score_weight, AlsModel& model);

}  // namespace zhongcao::train
