// The feed's filters. Each is a few lines; they share a file because they
// change together when the item model changes.
#pragma once

#include "ranking/filter/filter.h"
#include "ranking/id_hash.h"

namespace zhongcao::ranking {

// Items in the user's history (any event, including an impression).
class SeenFilter : public Filter {
 public:
  absl::string_view name() const override { return "seen"; }
  bool needs_features() const override { return false; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Items served on earlier pages of this feed session (the page token).
class ServedFilter : public Filter {
 public:
  absl::string_view name() const override { return "served_on_earlier_page"; }
  bool needs_features() const override { return false; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Ids that are no longer stored (deleted since a source found them).
class ExistsFilter : public Filter {
 public:
  absl::string_view name() const override { return "deleted"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Kinds the request did not ask for.
class KindFilter : public Filter {
 public:
  absl::string_view name() const override { return "kind"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Items limited to other regions than the request's.
class RegionFilter : public Filter {
 public:
  absl::string_view name() const override { return "region"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Taken-down items and out-of-stock products.
class AvailabilityFilter : public Filter {
 public:
  absl::string_view name() const override { return "unavailable"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// On a shopping surface, content none of whose linked products is in stock:
// a card there must lead to something one can buy.
class ShoppableFilter : public Filter {
 public:
  absl::string_view name() const override { return "not_shoppable"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

// Items by creators the user blocked.
class BlockedCreatorFilter : public Filter {
 public:
  absl::string_view name() const override { return "blocked_creator"; }
  bool needs_features() const override { return true; }
  bool Keep(const Candidate& c, const FeedContext& context) const override;
};

}  // namespace zhongcao::ranking
