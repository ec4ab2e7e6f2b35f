#include "tools/train/scorers.h"

#include <algorithm>

namespace zhongcao::train {

void AlsScorer::Score(std::span<const int32_t> users, std::span<float> out) const {
  const auto n = static_cast<Eigen::Index>(users.size());
  FactorMatrix batch(n, model_.users.cols());
  for (Eigen::Index j = 0; j < n; ++j) batch.row(j) = model_.users.row(users[j]);
  // One matrix product per batch rather than a product per user: several
  // times faster over tens of thousands of items.
  Eigen::Map<FactorMatrix> scores(out.data(), n, model_.items.rows());
  scores.noalias() = batch * model_.items.transpose();
}

PopularityScorer::PopularityScorer(const FeedbackMatrix& train)
    : popularity_(static_cast<size_t>(train.items())) {
  for (int32_t i = 0; i < train.items(); ++i) {
    popularity_[i] = static_cast<float>(train.ItemColumn(i).size());
  }
}

void PopularityScorer::Score(std::span<const int32_t> users, std::span<float> out) const {
  for (size_t j = 0; j < users.size(); ++j) {
    std::copy(popularity_.begin(), popularity_.end(),
              out.begin() + j * popularity_.size());
  }
}

}  // namespace zhongcao::train
