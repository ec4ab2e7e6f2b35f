#include "tools/evaluate/baselines.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

namespace zhongcao::evaluate {

ItemKnnScorer::ItemKnnScorer(const train::FeedbackMatrix& train, int neighbors)
    : train_(train), items_(train.items()) {
  std::vector<float> users_of(static_cast<size_t>(items_), 0);
  for (int32_t i = 0; i < items_; ++i) {
    users_of[static_cast<size_t>(i)] = static_cast<float>(train.ItemColumn(i).size());
  }
  std::vector<float> together(static_cast<size_t>(items_), 0);
  std::vector<int32_t> touched;
  std::vector<Neighbor> row;
  start_.push_back(0);
  for (int32_t i = 0; i < items_; ++i) {
    touched.clear();
    for (const train::FeedbackMatrix::Entry& u : train.ItemColumn(i)) {
      for (const train::FeedbackMatrix::Entry& j : train.UserRow(u.index)) {
        if (j.index == i) continue;
        if (together[static_cast<size_t>(j.index)] == 0) touched.push_back(j.index);
        together[static_cast<size_t>(j.index)] += 1;
      }
    }
    row.clear();
    for (int32_t j : touched) {
      const auto sj = static_cast<size_t>(j);
      row.push_back(
          {j, together[sj] / std::sqrt(users_of[static_cast<size_t>(i)] * users_of[sj])});
      together[sj] = 0;
    }
    auto better = [](const Neighbor& a, const Neighbor& b) {
      return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item;
    };
    const size_t keep =
        neighbors > 0 ? std::min(row.size(), static_cast<size_t>(neighbors)) : row.size();
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(keep),
                      row.end(), better);
    neighbors_.insert(neighbors_.end(), row.begin(),
                      row.begin() + static_cast<std::ptrdiff_t>(keep));
    start_.push_back(static_cast<int64_t>(neighbors_.size()));
  }
}

std::span<const ItemKnnScorer::Neighbor> ItemKnnScorer::Neighbors(int32_t item) const {
  const auto i = static_cast<size_t>(item);
  return std::span<const Neighbor>(neighbors_)
      .subspan(static_cast<size_t>(start_[i]),
               static_cast<size_t>(start_[i + 1] - start_[i]));
}

void ItemKnnScorer::Score(std::span<const int32_t> users, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  for (size_t u = 0; u < users.size(); ++u) {
    float* scores = out.data() + u * static_cast<size_t>(items_);
    for (const train::FeedbackMatrix::Entry& had : train_.UserRow(users[u])) {
      for (const Neighbor& n : Neighbors(had.index)) {
        scores[n.item] += n.similarity;
      }
    }
  }
}

std::vector<UserList> RankForUsers(const train::ItemScorer& scorer,
                                   const train::FeedbackMatrix& seen,
                                   std::span<const train::UserTargets> targets, int k,
                                   int threads) {
  std::vector<UserList> out(targets.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::vector<float> scores(static_cast<size_t>(scorer.items()));
    std::vector<int32_t> order;
    for (size_t t = next++; t < targets.size(); t = next++) {
      const int32_t user = targets[t].user;
      scorer.Score({&user, 1}, scores);
      out[t].user = user;
      train::TopK(scores, seen.UserRow(user), k, order, out[t].items);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < std::max(threads, 1); ++i) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace zhongcao::evaluate
