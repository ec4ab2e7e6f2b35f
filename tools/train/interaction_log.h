// An interaction log as offline tools see it: who did what to which item and
// when, with user and item ids interned to dense indices for matrix code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace zhongcao::train {

// The service's event types (zhongcao.v1.EventType), plus the two kinds of
// interaction that public datasets record without saying more.
enum class EventType : uint8_t {
  kImpression,
  kClick,
  kDwell,
  kLike,
  kSave,
  kShare,
  kComment,
  kFollow,
  kAddToCart,
  kPurchase,
  kRating,       // an explicit rating; Interaction::value holds it
  kInteraction,  // some positive interaction of unknown kind (e.g. a review)
};
inline constexpr int kEventTypeCount = static_cast<int>(EventType::kInteraction) + 1;

// "add_to_cart"; the same names the CLI and the events CSV use.
absl::string_view EventTypeName(EventType type);
// Accepts EventTypeName() spellings in any case, with or without the API's
// "EVENT_TYPE_" prefix.
std::optional<EventType> EventTypeFromName(absl::string_view name);

struct Interaction {
  int32_t user = 0;
  int32_t item = 0;
  EventType type = EventType::kInteraction;
  float value = 1;  // the rating for kRating, else 1
  // Unix seconds or ms as the source gives it, or the position in a sequence;
  // only the order within one user matters.
  int64_t timestamp = 0;
};

// Interns string ids to 0, 1, 2, ... in order of first appearance, so that
// indices are stable for a given input.
class IdMap {
 public:
  int32_t Intern(absl::string_view id);
  std::optional<int32_t> Find(absl::string_view id) const;
  const std::string& Name(int32_t index) const { return names_[index]; }
  const std::vector<std::string>& names() const { return names_; }
  int32_t size() const { return static_cast<int32_t>(names_.size()); }

 private:
  absl::flat_hash_map<std::string, int32_t> index_;
  std::vector<std::string> names_;
};

// Events in input order; readers keep that order, so ties in time break the
// same way on every run.
struct InteractionLog {
  static constexpr int32_t kNoCategory = -1;

  IdMap users;
  IdMap items;
  IdMap categories;
  std::vector<Interaction> events;
  // By item index: the item's category, or kNoCategory. When a source gives
  // an item two categories (it happens, rarely), the first one stays, so
  // the result depends on nothing but the input.
  std::vector<int32_t> item_category;

  // `category` may be empty: not known.
  void Add(absl::string_view user, absl::string_view item, EventType type, float value,
           int64_t timestamp, absl::string_view category = {});
};

}  // namespace zhongcao::train
