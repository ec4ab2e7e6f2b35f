// Splits an interaction log into training events and held-out events by time,
// per user, as offline evaluation protocols prescribe (leave-one-out, "the
// last purchase", the last N).
#pragma once

#include <functional>
#include <vector>

#include "tools/train/interaction_log.h"

namespace zhongcao::train {

struct HoldOutProtocol {
  // Events that may be held out (required); a user's last such event (by
  // time, then by input order) is held out.
  std::function<bool(const Interaction&)> eligible;
  // For a user with no eligible event, the events to hold out from instead;
  // null: such a user is not evaluated.
  std::function<bool(const Interaction&)> fallback;
  // Distinct items held out per user for the test (the last N by time).
  int test_items = 1;
  // Held out per user for validation, chosen the same way among the events
  // left once the test items are out; 0 for none.
  int validation_items = 1;
};

// Holding out an item holds out every event of that user on it, earlier ones
// too: otherwise the held-out item would be a training item, and ranking
// masks training items (as the service's feed drops items a user has seen).
// A user keeps at least one training event: one who would not is not held
// out from. `train*` keep the log's order; `validation` and `test` hold the
// event that chose each held-out (user, item), grouped by user in index
// order.
struct Split {
  std::vector<Interaction> train;  // for choosing settings against `validation`
  std::vector<Interaction> validation;
  std::vector<Interaction> train_with_validation;  // for the final model: all but test
  std::vector<Interaction> test;
};

Split SplitByTime(const InteractionLog& log, const HoldOutProtocol& protocol);

}  // namespace zhongcao::train
