#include "tools/train/als.h"

#include <cmath>
#include <random>
#include <vector>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "tools/train/parallel.h"

namespace zhongcao::train {
namespace {

using Vector = Eigen::VectorXf;
using Square = Eigen::MatrixXf;

// The initial item vectors, uniform in [-scale, scale). Built from the raw
// 64-bit outputs of mt19937_64, which the standard fixes, rather than from a
// std:: distribution, whose outputs differ between standard libraries.
void RandomFill(FactorMatrix& m, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      const double unit = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
      m(r, c) = static_cast<float>((2 * unit - 1) * scale);
    }
  }
}

// Solves every row of `out` against the fixed `other` side Y:
//   (M + Y_u' D_u Y_u) x_u = Y_u' c_u,  M = Y'Y + lambda I,  D_u = C_u - I,
// where Y_u holds the n rows u has entries for, so a solve costs
// O(n f^2 + f^3) rather than O(items f^2) (the YtY trick). Rows with few
// entries, most of them in a sparse log, use the Woodbury identity instead:
//   x_u = W' (c_u - S^-1 K c_u),  W = Y_u M^-1,  K = W Y_u',  S = D_u^-1 + K,
// which costs O(n f^2 + n^3) with M^-1 computed once per side.
template <typename RowFn>
void SolveSide(const FactorMatrix& other, int32_t rows, const RowFn& row_entries,
               const AlsOptions& options, FactorMatrix& out) {
  const int f = options.factors;
  Square m = other.transpose() * other;
  m.diagonal().array() += options.regularization;
  const Square m_inverse = m.llt().solve(Square::Identity(f, f));
  // Woodbury needs D_u invertible (alpha > 0); it pays below about f/4 rows.
  const size_t woodbury_below = options.alpha > 0 ? static_cast<size_t>(f / 4) : 0;
  struct Scratch {
    Square a;
    Vector b;
    Eigen::LLT<Square> llt;
    FactorMatrix y, w;
    Square k;
    Vector c;
  };
  std::vector<Scratch> scratch(static_cast<size_t>(std::max(1, options.threads)));
  for (Scratch& s : scratch) s.llt = Eigen::LLT<Square>(f);
  ParallelFor(rows, options.threads, 64, [&](int64_t begin, int64_t end, int worker) {
    Scratch& s = scratch[static_cast<size_t>(worker)];
    for (int64_t r = begin; r < end; ++r) {
      std::span<const FeedbackMatrix::Entry> entries =
          row_entries(static_cast<int32_t>(r));
      const auto n = static_cast<Eigen::Index>(entries.size());
      if (n == 0) {
        out.row(r).setZero();
        continue;
      }
      if (entries.size() < woodbury_below) {
        s.y.resize(n, f);
        s.c.resize(n);
        for (Eigen::Index j = 0; j < n; ++j) {
          s.y.row(j) = other.row(entries[j].index);
          s.c(j) = 1 + options.alpha * entries[j].weight;
        }
        s.w.noalias() = s.y * m_inverse;
        s.k.noalias() = s.w * s.y.transpose();
        s.a = s.k;
        s.a.diagonal().array() += (s.c.array() - 1).inverse();
        s.b = s.c - s.a.llt().solve(s.k * s.c);
        out.row(r).noalias() = (s.w.transpose() * s.b).transpose();
        continue;
      }
      s.a = m;
      s.b.setZero(f);
      for (const FeedbackMatrix::Entry& e : entries) {
        const float c = 1 + options.alpha * e.weight;
        const auto y = other.row(e.index);
        s.a.template selfadjointView<Eigen::Lower>().rankUpdate(y.transpose(), c - 1);
        s.b.noalias() += c * y.transpose();
      }
      s.llt.compute(s.a);
      out.row(r) = s.llt.solve(s.b).transpose();
    }
  });
}

}  // namespace

absl::Status AlsOptions::Validate() const {
  if (factors < 1 || factors > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("factors must be in 1..4096, got ", factors));
  }
  if (!(regularization > 0) || !std::isfinite(regularization)) {
    return absl::InvalidArgumentError(
        absl::StrCat("regularization must be > 0, got ", regularization));
  }
  if (!(alpha >= 0) || !std::isfinite(alpha)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be >= 0, got ", alpha));
  }
  if (iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("iterations must be >= 1, got ", iterations));
  }
  if (threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads must be >= 1, got ", threads));
  }
  return absl::OkStatus();
}

absl::StatusOr<AlsModel> TrainAls(const FeedbackMatrix& feedback,
                                  const AlsOptions& options,
                                  const std::function<void(int)>& after_iteration) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  AlsModel model;
  model.users = FactorMatrix::Zero(feedback.users(), options.factors);
  model.items.resize(feedback.items(), options.factors);
  // Small, so the first user solves are ruled by the data, not the noise.
  RandomFill(model.items, options.seed,
             0.1f / std::sqrt(static_cast<float>(options.factors)));
  for (int32_t i = 0; i < feedback.items(); ++i) {
    if (feedback.ItemColumn(i).empty()) model.items.row(i).setZero();
  }
  for (int it = 1; it <= options.iterations; ++it) {
    SolveSide(
        model.items, feedback.users(), [&](int32_t u) { return feedback.UserRow(u); },
        options, model.users);
    SolveSide(
        model.users, feedback.items(), [&](int32_t i) { return feedback.ItemColumn(i); },
        options, model.items);
    if (after_iteration) after_iteration(it);
  }
  return model;
}

}  // namespace zhongcao::train
