#include "tools/evaluate/scoring.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "tools/train/metrics.h"

namespace zhongcao::evaluate {
namespace {

constexpr double kZ95 = 1.959963984540054;

// Distinct items in the top `k` of the given users' lists, with `stamp`
// (one slot per item) as scratch marked with `mark`.
int64_t DistinctItems(std::span<const ScoredUser> users, std::span<const size_t> which,
                      int k, std::vector<uint32_t>& stamp, uint32_t mark) {
  int64_t distinct = 0;
  for (size_t u : which) {
    const std::vector<int32_t>& ranked = *users[u].ranked;
    const size_t depth = std::min(ranked.size(), static_cast<size_t>(k));
    for (size_t r = 0; r < depth; ++r) {
      const auto item = static_cast<size_t>(ranked[r]);
      if (item >= stamp.size()) continue;
      if (stamp[item] != mark) {
        stamp[item] = mark;
        ++distinct;
      }
    }
  }
  return distinct;
}

Interval Coverage(std::span<const ScoredUser> users, int k, const ScoreOptions& options) {
  Interval out;
  out.n = static_cast<int64_t>(users.size());
  if (options.catalog_items <= 0 || users.empty()) return out;
  const auto catalog = static_cast<double>(options.catalog_items);
  std::vector<uint32_t> stamp(static_cast<size_t>(options.catalog_items), 0);
  std::vector<size_t> all(users.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  uint32_t mark = 1;
  out.value = static_cast<double>(DistinctItems(users, all, k, stamp, mark)) / catalog;
  out.low = out.high = out.value;
  if (options.bootstrap_samples <= 0) return out;

  std::mt19937_64 rng(options.seed + static_cast<uint64_t>(k));
  std::uniform_int_distribution<size_t> pick(0, users.size() - 1);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(options.bootstrap_samples));
  std::vector<size_t> sample(users.size());
  for (int b = 0; b < options.bootstrap_samples; ++b) {
    for (size_t& s : sample) s = pick(rng);
    samples.push_back(
        static_cast<double>(DistinctItems(users, sample, k, stamp, ++mark)) / catalog);
  }
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    const auto i = static_cast<size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(i, samples.size() - 1)];
  };
  out.low = at(0.025);
  out.high = at(0.975);
  return out;
}

std::optional<double> ListDiversity(const std::vector<int32_t>& ranked, int k,
                                    const ItemVectors& vectors) {
  const size_t depth = std::min(ranked.size(), static_cast<size_t>(k));
  double sum = 0;
  int64_t pairs = 0;
  for (size_t a = 0; a < depth; ++a) {
    for (size_t b = a + 1; b < depth; ++b) {
      if (std::optional<double> d = vectors.Distance(ranked[a], ranked[b])) {
        sum += *d;
        ++pairs;
      }
    }
  }
  if (pairs == 0) return std::nullopt;
  return sum / static_cast<double>(pairs);
}

}  // namespace

Interval MeanInterval(std::span<const double> values) {
  Interval out;
  out.n = static_cast<int64_t>(values.size());
  if (values.empty()) return out;
  const auto n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  const double sd = values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0;
  const double half = kZ95 * sd / std::sqrt(n);
  out.value = mean;
  out.low = mean - half;
  out.high = mean + half;
  return out;
}

ItemVectors::ItemVectors(const train::FactorMatrix& items)
    : unit_(items), has_(static_cast<size_t>(items.rows()), false) {
  for (Eigen::Index i = 0; i < unit_.rows(); ++i) {
    const float norm = unit_.row(i).norm();
    if (norm > 0 && std::isfinite(norm)) {
      unit_.row(i) /= norm;
      has_[static_cast<size_t>(i)] = true;
    }
  }
}

std::optional<double> ItemVectors::Distance(int32_t a, int32_t b) const {
  const auto size = static_cast<int32_t>(has_.size());
  if (a < 0 || b < 0 || a >= size || b >= size || !has_[static_cast<size_t>(a)] ||
      !has_[static_cast<size_t>(b)]) {
    return std::nullopt;
  }
  return 1.0 - static_cast<double>(unit_.row(a).dot(unit_.row(b)));
}

std::vector<MetricsAt> ScoreUsers(std::span<const ScoredUser> users,
                                  const ScoreOptions& options) {
  std::vector<MetricsAt> out;
  for (int k : options.ks) {
    std::vector<double> hit, recall, ndcg, diversity;
    for (const ScoredUser& u : users) {
      const train::RankingMetrics m = train::MetricsAtK(*u.ranked, *u.relevant, k);
      hit.push_back(m.hit);
      recall.push_back(m.recall);
      ndcg.push_back(m.ndcg);
      if (options.vectors != nullptr) {
        if (std::optional<double> d = ListDiversity(*u.ranked, k, *options.vectors)) {
          diversity.push_back(*d);
        }
      }
    }
    MetricsAt at;
    at.k = k;
    at.hit = MeanInterval(hit);
    at.recall = MeanInterval(recall);
    at.ndcg = MeanInterval(ndcg);
    at.coverage = Coverage(users, k, options);
    at.diversity = MeanInterval(diversity);
    out.push_back(at);
  }
  return out;
}

}  // namespace zhongcao::evaluate
