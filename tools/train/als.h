// Implicit-feedback matrix factorisation by alternating least squares (Hu,
// Koren and Volinsky, "Collaborative Filtering for Implicit Feedback
// Datasets", 2008): user and item vectors whose inner product ranks items,
// as the service's inner-product index does.
#pragma once

#include <cstdint>
#include <functional>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/train/feedback_matrix.h"

namespace zhongcao::train {

struct AlsOptions {
  int factors = 64;           // the service's default dimension
  float regularization = 10;  // lambda, on every vector's squared norm
  float alpha = 10;           // confidence c = 1 + alpha * summed event weight
  int iterations = 15;        // each solves all users, then all items
  uint64_t seed = 42;         // the item vectors' initial values
  int threads = 2;            // results are the same for any count

  absl::Status Validate() const;
};

using FactorMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Row u of `users` and row i of `items` are the matrix's user u and item i. A
// user or item with no positive feedback gets a zero vector.
struct AlsModel {
  FactorMatrix users;
  FactorMatrix items;
};

// Deterministic: the same matrix and options give bitwise the same model on
// one build, whatever `threads` is. `after_iteration`, if set, is called
// with the number of iterations done.
absl::StatusOr<AlsModel> TrainAls(
    const FeedbackMatrix& feedback, const AlsOptions& options,
    const std::function<void(int)>& after_iteration = nullptr);

}  // namespace zhongcao::train
