#include "tools/train/evaluation.h"

#include <algorithm>
#include <cassert>

#include "tools/train/parallel.h"

namespace zhongcao::train {

std::vector<UserTargets> GroupByUser(std::span<const Interaction> held_out) {
  std::vector<UserTargets> out;
  std::vector<Interaction> sorted(held_out.begin(), held_out.end());
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const Interaction& a, const Interaction& b) { return a.user < b.user; });
  for (const Interaction& e : sorted) {
    if (out.empty() || out.back().user != e.user) out.push_back(UserTargets{e.user, {}});
    out.back().items.push_back(e.item);
  }
  for (UserTargets& t : out) {
    std::sort(t.items.begin(), t.items.end());
    t.items.erase(std::unique(t.items.begin(), t.items.end()), t.items.end());
  }
  return out;
}

const RankingMetrics& Evaluation::At(int k) const {
  const auto it = std::find(ks.begin(), ks.end(), k);
  assert(it != ks.end());
  return at[static_cast<size_t>(it - ks.begin())];
}

void TopK(std::span<const float> scores, std::span<const FeedbackMatrix::Entry> masked,
          int k, std::vector<int32_t>& order, std::vector<int32_t>& top) {
  order.clear();
  size_t m = 0;
  for (int32_t i = 0; i < static_cast<int32_t>(scores.size()); ++i) {
    if (m < masked.size() && masked[m].index == i) {
      ++m;
      continue;
    }
    order.push_back(i);
  }
  const size_t depth = std::min(order.size(), static_cast<size_t>(std::max(k, 0)));
  auto better = [&](int32_t a, int32_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(depth),
                    order.end(), better);
  top.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(depth));
}

Evaluation Evaluate(const ItemScorer& scorer, const FeedbackMatrix& train,
                    std::span<const UserTargets> targets, std::vector<int> ks,
                    int threads) {
  Evaluation result;
  result.ks = std::move(ks);
  std::vector<const UserTargets*> users;
  for (const UserTargets& t : targets) {
    if (train.UserRow(t.user).empty()) {
      ++result.users_without_feedback;
    } else {
      users.push_back(&t);
    }
  }
  result.users = static_cast<int64_t>(users.size());
  const int max_k =
      result.ks.empty() ? 0 : *std::max_element(result.ks.begin(), result.ks.end());
  const size_t n = static_cast<size_t>(scorer.items());

  // Per-user results land in fixed slots and are summed in order afterwards,
  // so the means do not depend on which thread did what.
  std::vector<RankingMetrics> per_user(users.size() * result.ks.size());
  constexpr int64_t kBatch = 64;
  struct Scratch {
    std::vector<float> scores;
    std::vector<int32_t> batch, order, top;
  };
  std::vector<Scratch> scratch(static_cast<size_t>(std::max(1, threads)));
  ParallelFor(static_cast<int64_t>(users.size()), threads, kBatch,
              [&](int64_t begin, int64_t end, int worker) {
                Scratch& s = scratch[static_cast<size_t>(worker)];
                s.batch.clear();
                for (int64_t j = begin; j < end; ++j) s.batch.push_back(users[j]->user);
                s.scores.resize(s.batch.size() * n);
                scorer.Score(s.batch, s.scores);
                for (int64_t j = begin; j < end; ++j) {
                  const UserTargets& t = *users[j];
                  TopK(std::span<const float>(s.scores).subspan((j - begin) * n, n),
                       train.UserRow(t.user), max_k, s.order, s.top);
                  for (size_t q = 0; q < result.ks.size(); ++q) {
                    per_user[static_cast<size_t>(j) * result.ks.size() + q] =
                        MetricsAtK(s.top, t.items, result.ks[q]);
                  }
                }
              });
  for (size_t q = 0; q < result.ks.size(); ++q) {
    MetricsMean mean;
    for (size_t j = 0; j < users.size(); ++j)
      mean.Add(per_user[j * result.ks.size() + q]);
    result.at.push_back(mean.Mean());
  }
  return result;
}

}  // namespace zhongcao::train
