#include "tools/train/feedback_matrix.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace zhongcao::train {

FeedbackMatrix FeedbackMatrix::Build(int32_t users, int32_t items,
                                     std::span<const Interaction> events,
                                     const EventWeights& weights, double half_life) {
  std::vector<int64_t> latest;
  if (half_life > 0) {
    latest.assign(static_cast<size_t>(users), std::numeric_limits<int64_t>::min());
    for (const Interaction& e : events)
      latest[e.user] = std::max(latest[e.user], e.timestamp);
  }
  std::vector<Triplet> triplets;
  triplets.reserve(events.size());
  for (const Interaction& e : events) {
    float weight = weights[e.type];
    if (half_life > 0) {
      const double age = static_cast<double>(latest[e.user] - e.timestamp);
      // Floored, so that old feedback fades but stays feedback (and masked).
      weight *= static_cast<float>(std::exp2(std::max(-age / half_life, -30.0)));
    }
    triplets.push_back(Triplet{e.user, e.item, weight});
  }
  return FromTriplets(users, items, std::move(triplets));
}

FeedbackMatrix FeedbackMatrix::FromTriplets(int32_t users, int32_t columns,
                                            std::vector<Triplet> triplets) {
  // A stable sort by pair fixes the order in which each pair's weights are
  // summed, so the floats are the same on every run.
  std::stable_sort(triplets.begin(), triplets.end(),
                   [](const Triplet& x, const Triplet& y) {
                     return x.user != y.user ? x.user < y.user : x.column < y.column;
                   });

  FeedbackMatrix m;
  m.user_start_.assign(static_cast<size_t>(users) + 1, 0);
  std::vector<int32_t> row_of_entry;
  for (size_t k = 0; k < triplets.size();) {
    const Triplet& first = triplets[k];
    float sum = 0;
    size_t end = k;
    for (; end < triplets.size() && triplets[end].user == first.user &&
           triplets[end].column == first.column;
         ++end) {
      sum += triplets[end].weight;
    }
    if (sum > 0) {
      m.by_user_.push_back(Entry{first.column, sum});
      row_of_entry.push_back(first.user);
      ++m.user_start_[static_cast<size_t>(first.user) + 1];
    }
    k = end;
  }
  std::partial_sum(m.user_start_.begin(), m.user_start_.end(), m.user_start_.begin());

  // The transpose by counting sort; entries arrive by user, so each column
  // comes out sorted by user.
  m.item_start_.assign(static_cast<size_t>(columns) + 1, 0);
  for (const Entry& e : m.by_user_) ++m.item_start_[static_cast<size_t>(e.index) + 1];
  std::partial_sum(m.item_start_.begin(), m.item_start_.end(), m.item_start_.begin());
  m.by_item_.resize(m.by_user_.size());
  std::vector<int64_t> next(m.item_start_.begin(), m.item_start_.end() - 1);
  for (size_t k = 0; k < m.by_user_.size(); ++k) {
    const Entry& e = m.by_user_[k];
    m.by_item_[static_cast<size_t>(next[e.index]++)] = Entry{row_of_entry[k], e.weight};
  }
  return m;
}

}  // namespace zhongcao::train
