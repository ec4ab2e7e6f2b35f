#include "tools/train/interaction_log.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace zhongcao::train {
namespace {

constexpr std::array<absl::string_view, kEventTypeCount> kNames = {
    "impression", "click",  "dwell",       "like",     "save",   "share",
    "comment",    "follow", "add_to_cart", "purchase", "rating", "interaction",
};

}  // namespace

absl::string_view EventTypeName(EventType type) {
  return kNames[static_cast<size_t>(type)];
}

std::optional<EventType> EventTypeFromName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  absl::string_view bare = lower;
  absl::ConsumePrefix(&bare, "event_type_");
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (bare == kNames[i]) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

int32_t IdMap::Intern(absl::string_view id) {
  auto [it, inserted] = index_.try_emplace(id, size());
  if (inserted) names_.emplace_back(id);
  return it->second;
}

std::optional<int32_t> IdMap::Find(absl::string_view id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void InteractionLog::Add(absl::string_view user, absl::string_view item, EventType type,
                         float value, int64_t timestamp, absl::string_view category) {
  const int32_t i = items.Intern(item);
  if (static_cast<size_t>(i) >= item_category.size()) {
    item_category.resize(static_cast<size_t>(i) + 1, kNoCategory);
  }
  if (!category.empty() && item_category[i] == kNoCategory) {
    item_category[i] = categories.Intern(category);
  }
  events.push_back(Interaction{users.Intern(user), i, type, value, timestamp});
}

}  // namespace zhongcao::train
