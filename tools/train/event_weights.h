// How strongly one event of each type says a user likes an item: the w in the
// implicit-feedback confidence c = 1 + alpha * (sum of w over the pair's events).
#pragma once

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::train {

class EventWeights {
 public:
  // Impression 0 (seen is not liked), click and dwell 1, like, save, share and
  // comment 2, add-to-cart 3, purchase 5; ratings and untyped interactions 1.
  static EventWeights Default();

  float operator[](EventType type) const { return weights_[static_cast<size_t>(type)]; }
  void Set(EventType type, float weight) { weights_[static_cast<size_t>(type)] = weight; }

  // Applies overrides written "click=1,purchase=8"; a weight must be >= 0.
  absl::Status Override(absl::string_view spec);
  // "impression=0,click=1,...", every type.
  std::string ToString() const;

 private:
  std::array<float, kEventTypeCount> weights_{};
};

}  // namespace zhongcao::train
