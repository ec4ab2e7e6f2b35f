// Every tunable of a feed request in one struct: source budgets, scoring
// weights and re-ranking strengths. The configuration file sets the
// defaults; an experiment arm overrides some of them by name.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zhongcao::ranking {

struct ScoringWeights {
  float similarity = 1.0f;          // user long-term vector . item
  float session_similarity = 0.6f;  // session vector . item
  float engagement = 0.3f;          // predicted engagement from counters
  float purchase = 0.4f;            // predicted purchase (products and shoppable content)
  float freshness = 0.2f;
  float following = 0.3f;       // the user follows the creator
  float creator_trust = 0.15f;  // tier prior: KOC > KOL > brand
  float price_fit = 0.1f;       // price within the user's usual band
  // Co-occurrence with the user's latest items (see CovisitSettings), as a
  // share of the request's strongest; for every candidate, whatever found
  // it. Weighed like similarity: the next item is best predicted by what
  // others chose after the same items.
  float covisit = 1.0f;
  // Trending now (the trending board at the request's time), as a share of
  // the board's best. Off by default: the built-in weights were chosen on
  // logs without it; a catalog whose interest moves in waves turns it on.
  float trend = 0.0f;
  double freshness_half_life_hours = 48;
  // "scorer.learned": 1 scores with the learned model when one is loaded
  // (else with these weights); 0 always with these weights, e.g. as an arm.
  int learned = 1;
};

struct SourceBudgets {
  // Candidates wanted from each source for a user with a long-term vector;
  // 0 turns a source off.
  // Chosen on the offline replay (docs/results/evaluation.md, "Candidate
  // budgets"): 300 and 150 ranked no better on Beauty's validation split,
  // and the two searches and the hydration of their hits were a third of a
  // feed's CPU at 1M items.
  int ann_user = 100;
  int ann_session = 50;
  // 50, not 100, chosen the same way: Beauty's validation moved by 0.0004
  // HR@10 (shipped MMR; nothing with MMR off), Ciao's and Taobao's not at
  // all, and a feed hydrates, scores and re-ranks ~100 candidates fewer.
  int following = 50;
  int trending = 50;
  int fresh = 50;
  int campaign = 50;
  int recent = 50;
  // 100, not 200: a fifth fewer candidates to hydrate and score, 15% of a
  // feed's CPU at 1M items; HR@10 on Beauty did not move with MMR off
  // (docs/results/evaluation.md, "Candidate budgets").
  int covisit = 100;  // items chosen together with the user's latest ones
  // For a cold-start user (no long-term vector).
  int cold_start_recent = 300;
  int cold_start_trending = 200;
  // Time a source may take before it is left out of the response.
  int source_deadline_ms = 50;

  bool operator==(const SourceBudgets&) const = default;
};

struct RerankSettings {
  // MMR: score weight against similarity to items already picked; 1 means
  // no diversity. Applied over the best `mmr_window` candidates.
  float mmr_lambda = 0.75f;
  int mmr_window = 300;
  int creator_cap_per_page = 2;
  // At most this many items of one creator among the last
  // `creator_cap_session_items` served in the session.
  int creator_cap_per_session = 4;
  int creator_cap_session_items = 60;
  int max_products_in_a_row = 2;
  int live_slot_position = 3;   // a live item goes here or earlier; 0: no slot
  float campaign_boost = 0.3f;  // default; a campaign may set its own
};

// Item-to-item co-occurrence ("covisit" source, the scorer's covisit
// feature, and GetRelated).
struct CovisitSettings {
  // The user's newest distinct items (not impressions) whose rows are read.
  int seed_items = 10;
  // A seed at position p (newest 0) weighs seed_decay^p: the latest counts
  // most.
  double seed_decay = 0.7;
  // A neighbour's weight is divided by its seed row's total^normalize, so a
  // popular seed with a huge row does not drown the others (0: raw weights,
  // 1: shares of the row).
  double normalize = 0.5;
  // GetRelated with the BLEND signal: the co-occurrence share of the score;
  // the embedding similarity gets the rest. Both are normalised first.
  double related_blend = 0.5;
};

struct FeedSettings {
  ScoringWeights weights;
  SourceBudgets budgets;
  RerankSettings rerank;
  // Session vector: events weighted by type (a purchase moves it more than
  // a click), the newest `session_events` of the user's history, halving
  // every `session_half_life_minutes`.
  int session_events = 30;
  double session_half_life_minutes = 60;
  // And the session's items weigh position_decay^p by their position p
  // among them (newest 0), so the latest item dominates even when the
  // events' times are close or equal (1: time decay only).
  double session_position_decay = 0.8;
  CovisitSettings covisit;
};

// Sets the setting named `name` (e.g. "weights.freshness",
// "budgets.trending", "rerank.mmr_lambda") to `value`. INVALID_ARGUMENT for
// an unknown name or a value out of the setting's range.
absl::Status SetFeedSetting(absl::string_view name, double value, FeedSettings* settings);
// Every settable name, for documentation and error messages.
std::vector<std::string> FeedSettingNames();

}  // namespace zhongcao::ranking
