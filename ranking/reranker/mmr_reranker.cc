#include "ranking/reranker/mmr_reranker.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "index/inner_product.h"

namespace zhongcao::ranking {
namespace {

// The window's embeddings, read in place with their inverse norms: copying
// them into one block would allocate window * dim floats per request, and
// fresh pages cost more than the arithmetic here. A candidate without a
// usable vector (none, another dimension, all zeros) has similarity 0 to
// everything.
class WindowVectors {
 public:
  WindowVectors(const std::vector<Candidate>& ranked, size_t window)
      : vectors_(window, nullptr), inverse_norms_(window, 0.0f) {
    for (size_t i = 0; i < window && dim_ == 0; ++i) dim_ = ranked[i].embedding.size();
    for (size_t i = 0; i < window && dim_ > 0; ++i) {
      const std::span<const float> e = ranked[i].embedding;
      if (static_cast<size_t>(e.size()) != dim_) continue;
      const double norm_squared = Dot(e.data(), e.data());
      if (!(norm_squared > 0) || !std::isfinite(norm_squared)) continue;
      vectors_[i] = e.data();
      inverse_norms_[i] = static_cast<float>(1.0 / std::sqrt(norm_squared));
    }
  }

  // Cosine similarity of window entries a and b.
  float Similarity(size_t a, size_t b) const {
    if (vectors_[a] == nullptr || vectors_[b] == nullptr) return 0.0f;
    return Dot(vectors_[a], vectors_[b]) * inverse_norms_[a] * inverse_norms_[b];
  }

 private:
  float Dot(const float* x, const float* y) const {
    return index::InnerProduct(x, y, dim_);
  }

  size_t dim_ = 0;
  std::vector<const float*> vectors_;  // nullptr: no usable vector
  std::vector<float> inverse_norms_;
};

// Reorders the first order.size() candidates so that entry p becomes the
// one at order[p], following the permutation's cycles: each candidate moves
// once and no second vector of candidates is allocated.
void Permute(const std::vector<size_t>& order, std::vector<Candidate>* ranked) {
  std::vector<bool> done(order.size(), false);
  for (size_t start = 0; start < order.size(); ++start) {
    if (done[start] || order[start] == start) continue;
    Candidate first = std::move((*ranked)[start]);
    size_t p = start;
    while (true) {
      done[p] = true;
      const size_t from = order[p];
      if (from == start) {
        (*ranked)[p] = std::move(first);
        break;
      }
      (*ranked)[p] = std::move((*ranked)[from]);
      p = from;
    }
  }
}

}  // namespace

void MmrReRanker::ReRank(const FeedContext& /*context*/, const RerankSettings& settings,
                         int count, std::vector<Candidate>* ranked) const {
  const float lambda = settings.mmr_lambda;
  if (!(lambda < 1.0f) || count <= 0 || settings.mmr_window <= 1 || ranked->size() <= 1) {
    return;
  }
  const size_t window =
      std::min(ranked->size(), static_cast<size_t>(settings.mmr_window));
  const size_t picks = std::min(window, static_cast<size_t>(count));

  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < window; ++i) {
    lo = std::min(lo, (*ranked)[i].score);
    hi = std::max(hi, (*ranked)[i].score);
  }
  const float range = hi - lo;
  std::vector<float> relevance(window);
  for (size_t i = 0; i < window; ++i) {
    // Equal scores leave similarity alone to decide.
    relevance[i] = range > 0 ? lambda * (((*ranked)[i].score - lo) / range) : lambda;
  }

  const WindowVectors vectors(*ranked, window);
  // Each remaining candidate's highest similarity to the picks so far,
  // updated against the newest pick only: this keeps each pick linear in
  // the window instead of quadratic.
  std::vector<float> max_sim(window, -std::numeric_limits<float>::infinity());
  std::vector<bool> picked(window, false);
  std::vector<size_t> order;
  order.reserve(window);
  for (size_t round = 0; round < picks; ++round) {
    size_t best = window;
    float best_value = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < window; ++i) {
      if (picked[i]) continue;
      const float penalty = round == 0 ? 0.0f : (1.0f - lambda) * max_sim[i];
      const float value = relevance[i] - penalty;
      // Strictly greater: among equals, the earlier (better-ranked) wins.
      if (best == window || value > best_value) {
        best = i;
        best_value = value;
      }
    }
    picked[best] = true;
    order.push_back(best);
    if (round + 1 == picks) break;
    for (size_t i = 0; i < window; ++i) {
      if (!picked[i]) max_sim[i] = std::max(max_sim[i], vectors.Similarity(i, best));
    }
  }
  for (size_t i = 0; i < window; ++i) {
    if (!picked[i]) order.push_back(i);
  }
  Permute(order, ranked);
}

}  // namespace zhongcao::ranking
