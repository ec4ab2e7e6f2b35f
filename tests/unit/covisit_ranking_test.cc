// Unit tests of co-occurrence in ranking: seeds, seed decay and row
// normalisation (ranking/covisit_affinity.h), the "covisit" source, the
// scorer's covisit feature for candidates of any source, and the session
// vector's position decay.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ranking/covisit_affinity.h"
#include "ranking/id_hash.h"
#include "ranking/scorer/score_contributions.h"
#include "ranking/scorer/weighted_scorer.h"
#include "ranking/session_vector.h"
#include "ranking/source/covisit_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'700'000'000'000;

void AddEvent(store::UserHistory* history, const std::string& item, v1::EventType type,
              int64_t ts = kNow) {
  store::RecentEvent* event = history->add_events();
  event->set_item_id(item);
  event->set_type(type);
  event->set_timestamp_ms(ts);
}

store::CovisitRow Row(std::vector<std::pair<std::string, double>> neighbors,
                      double total) {
  store::CovisitRow row;
  row.neighbors = std::move(neighbors);
  row.total = total;
  return row;
}

std::vector<std::string> IdsOf(const std::vector<Candidate>& candidates) {
  std::vector<std::string> ids;
  for (const Candidate& c : candidates) ids.push_back(c.item_id);
  return ids;
}

TEST(CovisitSeeds, NewestDistinctItemsWithoutImpressions) {
  store::UserHistory history;
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK);
  AddEvent(&history, "b", v1::EVENT_TYPE_LIKE);
  AddEvent(&history, "a", v1::EVENT_TYPE_SAVE);
  AddEvent(&history, "shown", v1::EVENT_TYPE_IMPRESSION);
  AddEvent(&history, "c", v1::EVENT_TYPE_CLICK);
  EXPECT_THAT(CovisitSeeds(history, 10), ElementsAre("c", "a", "b"));
  EXPECT_THAT(CovisitSeeds(history, 2), ElementsAre("c", "a"));
  EXPECT_THAT(CovisitSeeds(history, 0), IsEmpty());
}

TEST(CombineCovisitRows, SeedDecay_TheNewestSeedCountsMost) {
  // Seeds newest first: s0 names x, s1 names y, with equal rows.
  const store::CovisitRow rows[] = {Row({{"x", 4}}, 4), Row({{"y", 4}}, 4)};
  CovisitSettings settings;
  settings.normalize = 0;
  settings.seed_decay = 0.5;
  CovisitAffinity affinity = CombineCovisitRows(rows, settings, {});
  EXPECT_DOUBLE_EQ(affinity.scores["x"], 4);
  EXPECT_DOUBLE_EQ(affinity.scores["y"], 2);
  EXPECT_DOUBLE_EQ(affinity.max, 4);
  EXPECT_FLOAT_EQ(affinity.Feature("y"), 0.5f);
  EXPECT_FLOAT_EQ(affinity.Feature("unknown"), 0.0f);
  // Both seeds naming one item add up.
  const store::CovisitRow shared[] = {Row({{"x", 4}}, 4), Row({{"x", 4}}, 4)};
  affinity = CombineCovisitRows(shared, settings, {});
  EXPECT_DOUBLE_EQ(affinity.scores["x"], 6);
}

TEST(CombineCovisitRows, Normalize_AHugeRowDoesNotDrownTheOthers) {
  // The newest seed is very popular: its best neighbour has a large weight
  // but a small share of its row; the older seed's neighbour is its all.
  const store::CovisitRow rows[] = {Row({{"popular", 100}}, 10000),
                                    Row({{"niche", 4}}, 4)};
  CovisitSettings settings;
  settings.seed_decay = 1;
  settings.normalize = 0;  // raw weights
  EXPECT_EQ(CombineCovisitRows(rows, settings, {}).Best(1)[0].first, "popular");
  settings.normalize = 1;  // shares of the row: 0.01 against 1
  CovisitAffinity affinity = CombineCovisitRows(rows, settings, {});
  EXPECT_EQ(affinity.Best(1)[0].first, "niche");
  EXPECT_DOUBLE_EQ(affinity.scores["popular"], 0.01);
  settings.normalize = 0.5;  // 100 / 100 against 4 / 2
  affinity = CombineCovisitRows(rows, settings, {});
  EXPECT_DOUBLE_EQ(affinity.scores["popular"], 1);
  EXPECT_DOUBLE_EQ(affinity.scores["niche"], 2);
}

TEST(CombineCovisitRows, ExcludedItemsGetNoScore) {
  const store::CovisitRow rows[] = {Row({{"seen", 9}, {"new", 1}}, 10)};
  CovisitSettings settings;
  const CovisitAffinity affinity = CombineCovisitRows(rows, settings, {"seen"});
  EXPECT_FALSE(affinity.scores.contains("seen"));
  EXPECT_FLOAT_EQ(affinity.Feature("new"), 1.0f);  // the best of what is left
}

TEST(CovisitSource, BestFirstUpToTheBudgetReadingPastServedItems) {
  FeedContext context;
  context.covisit.scores = {{"a", 3}, {"b", 2}, {"c", 1}, {"d", 0.5}};
  context.covisit.max = 3;
  context.served.insert(ServedHash("b"));
  const CovisitSource source;
  absl::StatusOr<std::vector<Candidate>> found = source.Fetch(context, 2);
  ASSERT_TRUE(found.ok()) << found.status();
  // b is dropped later by the served filter, so c is read too.
  EXPECT_THAT(IdsOf(*found), ElementsAre("a", "b", "c"));
  EXPECT_THAT((*found)[0].sources, ElementsAre("covisit"));
  ASSERT_TRUE(source.Fetch(FeedContext(), 10).ok());
  EXPECT_THAT(source.Fetch(FeedContext(), 10)->size(), 0u);
}

TEST(WeightedScorer, CovisitFeatureReachesCandidatesOfEverySource) {
  FeedContext context;
  context.now_ms = kNow;
  context.covisit.scores = {{"found-by-trending", 1}, {"found-by-covisit", 4}};
  context.covisit.max = 4;
  std::vector<Candidate> candidates(3);
  const char* ids[] = {"found-by-trending", "found-by-covisit", "unrelated"};
  const char* sources[] = {"trending", "covisit", "ann:user"};
  for (int i = 0; i < 3; ++i) {
    candidates[i].item_id = ids[i];
    candidates[i].sources = {sources[i]};
    MutableItem(&candidates[i])->set_id(ids[i]);
    MutableItem(&candidates[i])->set_created_at_ms(kNow);
  }
  ScoringWeights weights;
  weights.covisit = 2;
  WeightedScorer().Score(context, weights, &candidates);
  auto part = [&](const Candidate& c) {
    for (const auto& [name, value] : ScoreContributions(c, weights)) {
      if (name == "covisit") return value;
    }
    return 0.0f;
  };
  EXPECT_FLOAT_EQ(part(candidates[0]), 2 * 0.25f);
  EXPECT_FLOAT_EQ(part(candidates[1]), 2 * 1.0f);
  EXPECT_FLOAT_EQ(part(candidates[2]), 0.0f);
  EXPECT_GT(candidates[0].score, candidates[2].score);
  EXPECT_NEAR(candidates[1].score - candidates[2].score, 2.0f, 1e-5);
}

TEST(ScoringWeights, CovisitDefaultMatters) {
  // As heavy as the long-term similarity: the main signal.
  EXPECT_GE(ScoringWeights().covisit, ScoringWeights().similarity);
  FeedSettings settings;
  ASSERT_TRUE(SetFeedSetting("weights.covisit", 0.5, &settings).ok());
  ASSERT_TRUE(SetFeedSetting("budgets.covisit", 0, &settings).ok());
  ASSERT_TRUE(SetFeedSetting("covisit.seed_items", 3, &settings).ok());
  EXPECT_EQ(settings.covisit.seed_items, 3);
  EXPECT_FALSE(SetFeedSetting("covisit.normalize", 1.5, &settings).ok());
  EXPECT_FALSE(SetFeedSetting("covisit.seed_decay", -0.1, &settings).ok());
  EXPECT_FALSE(SetFeedSetting("session_position_decay", 2, &settings).ok());
}

class CovisitAffinityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("zhongcao_covisit_affinity_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    store::StoreOptions options;
    options.dir = dir_;
    options.sync_writes = false;
    options.block_cache_bytes = 8 << 20;
    absl::StatusOr<std::unique_ptr<store::FeatureStore>> store =
        store::FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Clicks(const std::string& user, const std::vector<std::string>& items) {
    std::vector<v1::Event> events;
    for (const std::string& item : items) {
      v1::Event& e = events.emplace_back();
      e.set_user_id(user);
      e.set_item_id(item);
      e.set_type(v1::EVENT_TYPE_CLICK);
      e.set_timestamp_ms(kNow);
    }
    ASSERT_TRUE(store_->RecordEvents(events).ok());
  }

  fs::path dir_;
  std::unique_ptr<store::FeatureStore> store_;
};

TEST_F(CovisitAffinityStoreTest, WhatOthersChoseAfterTheUsersLatestItemLeads) {
  for (int i = 0; i < 3; ++i) Clicks("other" + std::to_string(i), {"a", "b"});
  Clicks("another", {"old", "z"});
  Clicks("me", {"old", "a"});
  absl::StatusOr<store::UserRecord> me = store_->ReadUser("me");
  ASSERT_TRUE(me.ok());
  absl::flat_hash_set<std::string> seen = {"old", "a"};
  absl::StatusOr<CovisitAffinity> affinity =
      ComputeCovisitAffinity(*store_, me->history, CovisitSettings(), kNow, seen);
  ASSERT_TRUE(affinity.ok()) << affinity.status();
  ASSERT_FALSE(affinity->scores.empty());
  EXPECT_EQ(affinity->Best(1)[0].first, "b");
  EXPECT_TRUE(affinity->scores.contains("z"));  // from the older seed
  EXPECT_FALSE(affinity->scores.contains("a"));
  EXPECT_FALSE(affinity->scores.contains("old"));
  // No history, no seeds, no read.
  absl::StatusOr<CovisitAffinity> none =
      ComputeCovisitAffinity(*store_, store::UserHistory(), CovisitSettings(), kNow, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->scores.empty());
}

TEST(SessionVector, PositionDecay_TheNewestItemLeadsAtEqualTimes) {
  const std::vector<std::string> ids = {"a", "b", "c"};
  std::vector<std::vector<float>> vectors(3, std::vector<float>(4, 0.0f));
  for (int axis = 0; axis < 3; ++axis) vectors[axis][axis] = 1.0f;
  store::UserHistory history;  // replayed log: one time for everything
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK);
  AddEvent(&history, "b", v1::EVENT_TYPE_CLICK);
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK);  // a again: newest
  AddEvent(&history, "c", v1::EVENT_TYPE_CLICK);
  // Without position decay a (two clicks) outweighs c.
  SessionVector session = BuildSessionVector(history, ids, vectors, kNow, 60);
  EXPECT_GT(session.vector[0], session.vector[2]);
  // With it c (position 0) leads; a is at position 1, b at 2.
  session = BuildSessionVector(history, ids, vectors, kNow, 60, 30, 0.4);
  EXPECT_GT(session.vector[2], session.vector[0]);
  EXPECT_NEAR(session.vector[0] / session.vector[2], 2 * 0.4, 1e-6);
  EXPECT_NEAR(session.vector[1] / session.vector[2], 0.4 * 0.4, 1e-6);
  // 0: the newest item alone.
  session = BuildSessionVector(history, ids, vectors, kNow, 60, 30, 0);
  EXPECT_NEAR(session.vector[2], 1, 1e-6);
}

}  // namespace
}  // namespace zhongcao::ranking
