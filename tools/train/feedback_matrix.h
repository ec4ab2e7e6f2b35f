// The sparse user x item matrix that training and baselines read: for each
// pair, the summed weight of its events, kept only where positive, stored both
// by user and by item.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/train/event_weights.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::train {

class FeedbackMatrix {
 public:
  struct Entry {
    int32_t index;  // the item in a user's row, the user in an item's column
    float weight;
  };

  struct Triplet {
    int32_t user;
    int32_t column;
    float weight;
  };

  // Users and items index the log's IdMaps; an index no event names gets an
  // empty row or column. With `half_life` > 0 (in the events' timestamp
  // units), an event's weight halves for every half_life between it and the
  // user's latest event: what a user did lately says more about what they
  // want next.
  static FeedbackMatrix Build(int32_t users, int32_t items,
                              std::span<const Interaction> events,
                              const EventWeights& weights, double half_life = 0);
  // Sums the weights of each (user, column), in the order given.
  static FeedbackMatrix FromTriplets(int32_t users, int32_t columns,
                                     std::vector<Triplet> triplets);

  int32_t users() const { return static_cast<int32_t>(user_start_.size()) - 1; }
  int32_t items() const { return static_cast<int32_t>(item_start_.size()) - 1; }
  int64_t entries() const { return static_cast<int64_t>(by_user_.size()); }

  // Sorted by index.
  std::span<const Entry> UserRow(int32_t user) const {
    return Slice(by_user_, user_start_, user);
  }
  std::span<const Entry> ItemColumn(int32_t item) const {
    return Slice(by_item_, item_start_, item);
  }

 private:
  static std::span<const Entry> Slice(const std::vector<Entry>& entries,
                                      const std::vector<int64_t>& start, int32_t i) {
    return std::span<const Entry>(entries).subspan(
        static_cast<size_t>(start[i]), static_cast<size_t>(start[i + 1] - start[i]));
  }

  std::vector<int64_t> user_start_{0};
  std::vector<Entry> by_user_;
  std::vector<int64_t> item_start_{0};
  std::vector<Entry> by_item_;
};

}  // namespace zhongcao::train
