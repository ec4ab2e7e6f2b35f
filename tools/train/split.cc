#include "tools/train/split.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_set.h"

namespace zhongcao::train {
namespace {

// Picks the user's latest matching events on up to `count` distinct items
// (`order` indexes events oldest first), appends them to `out` and returns
// the events left, which are those on other items.
std::vector<size_t> HoldOut(const std::vector<Interaction>& events,
                            std::vector<size_t> order, const HoldOutProtocol& protocol,
                            int count, std::vector<Interaction>& out) {
  if (count <= 0) return order;
  absl::flat_hash_set<int32_t> items;
  std::vector<size_t> chosen;  // latest first
  auto pick = [&](const std::function<bool(const Interaction&)>& matches) {
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (static_cast<int>(chosen.size()) == count) break;
      if (matches(events[*it]) && items.insert(events[*it].item).second) {
        chosen.push_back(*it);
      }
    }
  };
  pick(protocol.eligible);
  if (chosen.empty() && protocol.fallback) pick(protocol.fallback);
  if (chosen.empty()) return order;

  std::vector<size_t> kept;
  for (size_t i : order) {
    if (!items.contains(events[i].item)) kept.push_back(i);
  }
  if (kept.empty()) return order;  // the user would have nothing to train on
  for (size_t i : chosen) out.push_back(events[i]);
  return kept;
}

}  // namespace

Split SplitByTime(const InteractionLog& log, const HoldOutProtocol& protocol) {
  const std::vector<Interaction>& events = log.events;
  // Events per user, oldest first; stable, so equal times keep input order.
  std::vector<std::vector<size_t>> by_user(log.users.size());
  for (size_t i = 0; i < events.size(); ++i) by_user[events[i].user].push_back(i);

  Split split;
  std::vector<bool> in_train(events.size(), false);
  std::vector<bool> before_test(events.size(), false);
  for (std::vector<size_t>& order : by_user) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return events[a].timestamp < events[b].timestamp;
    });
    std::vector<size_t> left =
        HoldOut(events, std::move(order), protocol, protocol.test_items, split.test);
    for (size_t i : left) before_test[i] = true;
    left = HoldOut(events, std::move(left), protocol, protocol.validation_items,
                   split.validation);
    for (size_t i : left) in_train[i] = true;
  }
  // Keeping input order makes a split as deterministic as its log.
  for (size_t i = 0; i < events.size(); ++i) {
    if (in_train[i]) split.train.push_back(events[i]);
    if (before_test[i]) split.train_with_validation.push_back(events[i]);
  }
  return split;
}

}  // namespace zhongcao::train
