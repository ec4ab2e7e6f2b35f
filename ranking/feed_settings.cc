#include "ranking/feed_settings.h"

#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zhongcao::ranking {
namespace {

// One settable field: how to reach it in FeedSettings and its valid range.
struct Setting {
  std::function<void(FeedSettings*, double)> set;
  double min;
  double max;
  bool integer;  // a count: 0.5 is refused rather than truncated
};

constexpr double kBig = 1e9;

template <typename Group, typename Field>
Setting Member(Group FeedSettings::*group, Field Group::*field, double min, double max) {
  return {[group, field](FeedSettings* s, double v) {
            (s->*group).*field = static_cast<Field>(v);
          },
          min, max, std::is_integral_v<Field>};
}

template <typename Field>
Setting Top(Field FeedSettings::*field, double min, double max) {
  return {[field](FeedSettings* s, double v) { s->*field = static_cast<Field>(v); }, min,
          max, std::is_integral_v<Field>};
}

const absl::flat_hash_map<std::string, Setting>& Registry() {
  static const auto* registry = [] {
    auto* r = new absl::flat_hash_map<std::string, Setting>();
    using W = ScoringWeights;
    using B = SourceBudgets;
    using R = RerankSettings;
    const auto weight = [&](const char* name, float W::*f) {
      (*r)[absl::StrCat("weights.", name)] =
          Member(&FeedSettings::weights, f, -kBig, kBig);
    };
    weight("similarity", &W::similarity);
    weight("session_similarity", &W::session_similarity);
    weight("engagement", &W::engagement);
    weight("purchase", &W::purchase);
    weight("freshness", &W::freshness);
    weight("following", &W::following);
    weight("creator_trust", &W::creator_trust);
    weight("price_fit", &W::price_fit);
    weight("covisit", &W::covisit);
    weight("trend", &W::trend);
    (*r)["weights.freshness_half_life_hours"] =
        Member(&FeedSettings::weights, &W::freshness_half_life_hours, 0.01, kBig);
    (*r)["scorer.learned"] = Member(&FeedSettings::weights, &W::learned, 0, 1);
    const auto budget = [&](const char* name, int B::*f) {
      (*r)[absl::StrCat("budgets.", name)] = Member(&FeedSettings::budgets, f, 0, 10000);
    };
    budget("ann_user", &B::ann_user);
    budget("ann_session", &B::ann_session);
    budget("following", &B::following);
    budget("trending", &B::trending);
    budget("fresh", &B::fresh);
    budget("campaign", &B::campaign);
    budget("recent", &B::recent);
    budget("covisit", &B::covisit);
    budget("cold_start_recent", &B::cold_start_recent);
    budget("cold_start_trending", &B::cold_start_trending);
    (*r)["budgets.source_deadline_ms"] =
        Member(&FeedSettings::budgets, &B::source_deadline_ms, 1, 60000);
    (*r)["rerank.mmr_lambda"] = Member(&FeedSettings::rerank, &R::mmr_lambda, 0, 1);
    (*r)["rerank.mmr_window"] = Member(&FeedSettings::rerank, &R::mmr_window, 1, 10000);
    (*r)["rerank.creator_cap_per_page"] =
        Member(&FeedSettings::rerank, &R::creator_cap_per_page, 1, 1000);
    (*r)["rerank.creator_cap_per_session"] =
        Member(&FeedSettings::rerank, &R::creator_cap_per_session, 1, 100000);
    (*r)["rerank.creator_cap_session_items"] =
        Member(&FeedSettings::rerank, &R::creator_cap_session_items, 0, 2000);
    (*r)["rerank.max_products_in_a_row"] =
        Member(&FeedSettings::rerank, &R::max_products_in_a_row, 1, 1000);
    (*r)["rerank.live_slot_position"] =
        Member(&FeedSettings::rerank, &R::live_slot_position, 0, 100);
    (*r)["rerank.campaign_boost"] =
        Member(&FeedSettings::rerank, &R::campaign_boost, -kBig, kBig);
    (*r)["session_events"] = Top(&FeedSettings::session_events, 0, 1000);
    (*r)["session_half_life_minutes"] =
        Top(&FeedSettings::session_half_life_minutes, 0.01, kBig);
    (*r)["session_position_decay"] = Top(&FeedSettings::session_position_decay, 0, 1);
    using C = CovisitSettings;
    (*r)["covisit.seed_items"] = Member(&FeedSettings::covisit, &C::seed_items, 0, 1000);
    (*r)["covisit.seed_decay"] = Member(&FeedSettings::covisit, &C::seed_decay, 0, 1);
    (*r)["covisit.normalize"] = Member(&FeedSettings::covisit, &C::normalize, 0, 1);
    (*r)["covisit.related_blend"] =
        Member(&FeedSettings::covisit, &C::related_blend, 0, 1);
    return r;
  }();
  return *registry;
}

}  // namespace

absl::Status SetFeedSetting(absl::string_view name, double value,
                            FeedSettings* settings) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": unknown setting; known: ", absl::StrJoin(FeedSettingNames(), ", ")));
  }
  if (!(value >= it->second.min && value <= it->second.max)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", value, " is outside ",
                                                   it->second.min, "..", it->second.max));
  }
  if (it->second.integer && value != std::floor(value)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": must be a whole number"));
  }
  it->second.set(settings, value);
  return absl::OkStatus();
}

std::vector<std::string> FeedSettingNames() {
  std::vector<std::string> names;
  for (const auto& [name, setting] : Registry()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace zhongcao::ranking
