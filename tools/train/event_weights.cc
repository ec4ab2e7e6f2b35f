#include "tools/train/event_weights.h"

#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zhongcao::train {

EventWeights EventWeights::Default() {
  EventWeights w;
  w.Set(EventType::kImpression, 0);
  w.Set(EventType::kClick, 1);
  w.Set(EventType::kDwell, 1);
  w.Set(EventType::kLike, 2);
  w.Set(EventType::kSave, 2);
  w.Set(EventType::kShare, 2);
  w.Set(EventType::kComment, 2);
  w.Set(EventType::kFollow, 1);
  w.Set(EventType::kAddToCart, 3);
  w.Set(EventType::kPurchase, 5);
  w.Set(EventType::kRating, 1);
  w.Set(EventType::kInteraction, 1);
  return w;
}

absl::Status EventWeights::Override(absl::string_view spec) {
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, '=');
    for (absl::string_view& side : kv) side = absl::StripAsciiWhitespace(side);
    std::optional<EventType> type;
    float weight = 0;
    if (kv.size() != 2 || !(type = EventTypeFromName(kv[0])).has_value() ||
        !absl::SimpleAtof(kv[1], &weight) || !std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("event weight '", part,
                       "': expected type=weight with a known type and weight >= 0"));
    }
    Set(*type, weight);
  }
  return absl::OkStatus();
}

std::string EventWeights::ToString() const {
  std::string out;
  for (int i = 0; i < kEventTypeCount; ++i) {
    const auto type = static_cast<EventType>(i);
    absl::StrAppend(&out, i == 0 ? "" : ",", EventTypeName(type), "=", (*this)[type]);
  }
  return out;
}

}  // namespace zhongcao::train
