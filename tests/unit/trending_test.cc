// Unit tests of trending in the feature store: forward-decayed scores, the
// per-region and global boards, the merge operator under concurrent
// writers, reopening, deletes, and the board's exactness at its capacity.
#include "store/trending.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/feature_store.h"
#include "store/trend_bound.h"

namespace zhongcao::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kTau = 6 * kHour;
// A realistic epoch time, so that t / tau is large (about 78,000): the log
// space must keep such values exact.
constexpr int64_t kT0 = 1'700'000'000'000;

v1::Item MakeItem(const std::string& id) {
  v1::Item item;
  item.set_id(id);
  item.set_kind(v1::ITEM_KIND_NOTE);
  item.set_created_at_ms(1);
  return item;
}

v1::Event MakeEvent(const std::string& user, const std::string& item, v1::EventType type,
                    int64_t ts, const std::string& region = "") {
  v1::Event event;
  event.set_user_id(user);
  event.set_item_id(item);
  event.set_type(type);
  event.set_timestamp_ms(ts);
  event.set_region(region);
  return event;
}

class TrendingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("zhongcao_trending_test_") + info->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    Reopen();
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.dir = dir_;
    options.block_cache_bytes = 8 << 20;
    options.sync_writes = false;  // see store_test.cc
    options.trending_tau_ms = tau_ms_;
    options.trending_board_size = board_size_;
    options.max_trending_regions = max_regions_;
    absl::StatusOr<std::unique_ptr<FeatureStore>> store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void Items(const std::vector<std::string>& ids) {
    std::vector<v1::Item> items;
    for (const std::string& id : ids) items.push_back(MakeItem(id));
    ASSERT_TRUE(store_->UpsertItems(items).ok());
  }

  void Record(const std::vector<v1::Event>& events) {
    ASSERT_TRUE(store_->RecordEvents(events).ok());
  }

  std::vector<std::pair<std::string, double>> Top(const std::string& region,
                                                  int64_t now_ms, int limit = 100) {
    absl::StatusOr<std::vector<std::pair<std::string, double>>> top =
        store_->TopTrending(region, limit, now_ms);
    EXPECT_TRUE(top.ok()) << top.status();
    return top.ok() ? *std::move(top) : std::vector<std::pair<std::string, double>>{};
  }

  // The score of the item at `rank` on the board, NaN (and a failure) when
  // the board is shorter.
  double ScoreAt(const std::string& region, int64_t now_ms, size_t rank = 0) {
    const auto top = Top(region, now_ms);
    if (rank >= top.size()) {
      ADD_FAILURE() << "board \"" << region << "\" has " << top.size() << " items";
      return std::nan("");
    }
    return top[rank].second;
  }

  std::vector<std::string> TopIds(const std::string& region, int64_t now_ms = kT0,
                                  int limit = 100) {
    std::vector<std::string> ids;
    for (auto& [id, score] : Top(region, now_ms, limit)) ids.push_back(id);
    return ids;
  }

  fs::path dir_;
  int64_t tau_ms_ = kTau;
  int board_size_ = 500;
  int max_regions_ = 1024;
  std::unique_ptr<FeatureStore> store_;
};

// ---------------------------------------------------------------------------
// Scores

TEST_F(TrendingTest, Trending_RecentEventsOutrankOldOnes) {
  Items({"old", "new"});
  // Five purchases two days ago against one click now.
  std::vector<v1::Event> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(MakeEvent("u" + std::to_string(i), "old", v1::EVENT_TYPE_PURCHASE,
                               kT0 - 48 * kHour, "sh"));
  }
  events.push_back(MakeEvent("u9", "new", v1::EVENT_TYPE_CLICK, kT0, "sh"));
  Record(events);

  const auto top = Top("sh", kT0);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].first, "new");
  EXPECT_NEAR(top[0].second, 1.0, 1e-9);
  EXPECT_EQ(top[1].first, "old");
  EXPECT_NEAR(top[1].second, 30 * std::exp(-8.0), 1e-9);

  // Read as of two days earlier, the scores scale by e^8 but the order,
  // fixed by the stored values, stays.
  const auto then = Top("sh", kT0 - 48 * kHour);
  ASSERT_EQ(then.size(), 2u);
  EXPECT_EQ(then[0].first, "new");
  EXPECT_NEAR(then[0].second / std::exp(8.0), 1.0, 1e-9);
  EXPECT_EQ(then[1].first, "old");
  EXPECT_NEAR(then[1].second, 30.0, 1e-9);
}

TEST_F(TrendingTest, Trending_ScoreDecaysByEEveryTau) {
  Items({"a"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_LIKE, kT0, "sh")});
  EXPECT_NEAR(ScoreAt("sh", kT0), 2.0, 1e-9);
  EXPECT_NEAR(ScoreAt("sh", kT0 + kTau), 2.0 / M_E, 1e-9);
  EXPECT_NEAR(ScoreAt("sh", kT0 + 3 * kTau), 2.0 * std::exp(-3.0), 1e-9);
}

TEST_F(TrendingTest, Trending_WeightsByEventTypeAndImpressionsDoNotCount) {
  Items({"seen-only", "shopped", "social"});
  Record({
      MakeEvent("u1", "seen-only", v1::EVENT_TYPE_IMPRESSION, kT0, "sh"),
      MakeEvent("u1", "seen-only", v1::EVENT_TYPE_IMPRESSION, kT0, "sh"),
      MakeEvent("u1", "shopped", v1::EVENT_TYPE_ADD_TO_CART, kT0, "sh"),
      MakeEvent("u1", "shopped", v1::EVENT_TYPE_PURCHASE, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_CLICK, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_DWELL, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_LIKE, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_COMMENT, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_SAVE, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_SHARE, kT0, "sh"),
      MakeEvent("u2", "social", v1::EVENT_TYPE_FOLLOW, kT0, "sh"),
  });
  const auto top = Top("sh", kT0);
  ASSERT_EQ(top.size(), 2u);  // impressions put nothing on the board
  EXPECT_EQ(top[0].first, "social");
  EXPECT_NEAR(top[0].second, 1 + 1 + 2 + 2 + 3 + 3 + 1, 1e-9);
  EXPECT_EQ(top[1].first, "shopped");
  EXPECT_NEAR(top[1].second, 4 + 6, 1e-9);
}

TEST_F(TrendingTest, Trending_SumsAcrossBatches) {
  Items({"a"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, kT0 - kTau, "sh")});
  Record({MakeEvent("u2", "a", v1::EVENT_TYPE_SAVE, kT0, "sh")});
  Record({MakeEvent("u3", "a", v1::EVENT_TYPE_SHARE, kT0 - 2 * kTau, "sh")});
  EXPECT_NEAR(ScoreAt("sh", kT0), std::exp(-1.0) + 3 + 3 * std::exp(-2.0), 1e-9);
}

// ---------------------------------------------------------------------------
// Regions

TEST_F(TrendingTest, Trending_RegionBoardsAreBoundedAgainstInventedRegions) {
  max_regions_ = 3;  // the global board and two regions
  Reopen();
  Items({"a", "b", "c"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_LIKE, kT0, "r1"),
          MakeEvent("u1", "b", v1::EVENT_TYPE_LIKE, kT0, "r2"),
          MakeEvent("u1", "c", v1::EVENT_TYPE_LIKE, kT0, "r3")});
  EXPECT_THAT(TopIds("r1"), ElementsAre("a"));
  EXPECT_THAT(TopIds("r2"), ElementsAre("b"));
  EXPECT_THAT(TopIds("r3"), IsEmpty());
  EXPECT_EQ(TopIds("").size(), 3u);  // every event still counts globally
}

TEST_F(TrendingTest, Trending_RegionsAreSeparateAndGlobalSumsAll) {
  Items({"a", "b", "c", "d"});
  v1::User bj_user;
  bj_user.set_id("u-bj");
  bj_user.set_region("bj");
  v1::User no_region;
  no_region.set_id("u-none");
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{bj_user, no_region}).ok());
  Record({
      MakeEvent("u-bj", "a", v1::EVENT_TYPE_LIKE, kT0, "sh"),       // event region wins
      MakeEvent("u-bj", "b", v1::EVENT_TYPE_LIKE, kT0),             // the user's region
      MakeEvent("stranger", "c", v1::EVENT_TYPE_ADD_TO_CART, kT0),  // no region
      MakeEvent("u-none", "d", v1::EVENT_TYPE_CLICK, kT0),          // user without one
      MakeEvent("u-none", "b", v1::EVENT_TYPE_CLICK, kT0, "sh"),
  });
  EXPECT_THAT(TopIds("sh"), ElementsAre("a", "b"));
  EXPECT_THAT(TopIds("bj"), ElementsAre("b"));
  EXPECT_THAT(TopIds("gz"), IsEmpty());
  const auto global = Top("", kT0);
  ASSERT_EQ(global.size(), 4u);
  EXPECT_EQ(global[0].first, "c");
  EXPECT_NEAR(global[0].second, 4.0, 1e-9);
  EXPECT_EQ(global[1].first, "b");  // 2 (bj) + 1 (sh)
  EXPECT_NEAR(global[1].second, 3.0, 1e-9);
  EXPECT_EQ(global[2].first, "a");
  EXPECT_EQ(global[3].first, "d");
  EXPECT_NEAR(ScoreAt("sh", kT0, 1), 1.0, 1e-9);  // b in sh: the click only
}

TEST_F(TrendingTest, Trending_UsersRegionIsReadAfterEveryUpsert) {
  Items({"a", "b", "c"});
  // Events before the user is stored count on the global board alone...
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_LIKE, kT0)});
  v1::User user;
  user.set_id("u1");
  user.set_region("bj");
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{user}).ok());
  // ...and once it is, under its region, though its regionless first
  // batch was remembered; likewise after the user moves.
  Record({MakeEvent("u1", "b", v1::EVENT_TYPE_LIKE, kT0)});
  user.set_region("sh");
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{user}).ok());
  Record({MakeEvent("u1", "c", v1::EVENT_TYPE_LIKE, kT0)});
  EXPECT_THAT(TopIds("bj"), ElementsAre("b"));
  EXPECT_THAT(TopIds("sh"), ElementsAre("c"));
  EXPECT_THAT(TopIds(""), UnorderedElementsAre("a", "b", "c"));
}

TEST(TrendBoundTest, BoundsEveryKeyFromAboveThoughKeysShareBuckets) {
  TrendBound bound(/*log2_buckets=*/2);  // 4 buckets for 50 keys
  std::map<std::string, double> exact;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(-5, 5);
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "k" + std::to_string(rng() % 50);
    const double v = value(rng);
    auto [it, first] = exact.try_emplace(key, v);
    if (!first) it->second = LogAddExp(it->second, v);
    EXPECT_GE(bound.Add(key, v), it->second);
  }
  for (const auto& [key, sum] : exact) EXPECT_GE(bound.Bound(key), sum) << key;
  EXPECT_EQ(bound.Bound("never-added"), bound.Bound("never-added"));
}

TEST(TrendingBoardTest, MightTake_OnlyWhereAnOfferCouldChangeTheBoard) {
  TrendingBoard board(2);
  EXPECT_TRUE(board.MightTake("a", -100));  // empty: anything is taken
  board.Offer("a", 5);
  board.Offer("b", 3);
  EXPECT_TRUE(board.MightTake("b", 0));  // on the board: its value may grow
  EXPECT_FALSE(board.MightTake("c", 2.9));
  EXPECT_TRUE(board.MightTake("c", 3));  // a tie is decided by id
  board.Offer("c", 4);                   // b (3) leaves: the floor is 3
  EXPECT_FALSE(board.MightTake("b", 3));
  board.Remove("a");  // room, but nothing at or below the floor is taken
  EXPECT_FALSE(board.MightTake("d", 3));
  EXPECT_TRUE(board.MightTake("d", 3.5));
  board.Offer("d", 3.5);
  EXPECT_THAT(board.Top(10), ElementsAre(std::pair<std::string, double>("c", 4),
                                         std::pair<std::string, double>("d", 3.5)));
}

TEST_F(TrendingTest, Trending_BoardStaysExactThoughMostRowsAreNotReadBack) {
  // A small board over many items: most events cannot change it, and their
  // rows are not read back; the board must still be the exact best.
  board_size_ = 8;
  Reopen();
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back("i" + std::to_string(i));
  Items(ids);
  const v1::EventType types[] = {v1::EVENT_TYPE_CLICK, v1::EVENT_TYPE_LIKE,
                                 v1::EVENT_TYPE_SAVE, v1::EVENT_TYPE_ADD_TO_CART,
                                 v1::EVENT_TYPE_PURCHASE};
  std::map<std::string, double> exact;
  std::mt19937_64 rng(11);
  for (int batch = 0; batch < 60; ++batch) {
    std::vector<v1::Event> events;
    for (int e = 0; e < 25; ++e) {
      // Skewed, so that a few items climb and the board changes over time.
      const std::string& id = ids[(rng() % 300) * (rng() % 300) / 300];
      const v1::EventType type = types[rng() % 5];
      const int64_t ts = kT0 + batch * kHour / 4;
      events.push_back(MakeEvent("u" + std::to_string(rng() % 20), id, type, ts));
      const double v = TrendValueOfEvent(TrendWeight(type), ts, kTau);
      auto [it, first] = exact.try_emplace(id, v);
      if (!first) it->second = LogAddExp(it->second, v);
    }
    Record(events);
  }
  std::vector<std::pair<double, std::string>> best;
  for (const auto& [id, value] : exact) best.emplace_back(-value, id);
  std::sort(best.begin(), best.end());
  std::vector<std::string> expected;
  for (size_t i = 0; i < 8; ++i) expected.push_back(best[i].second);
  EXPECT_THAT(TopIds("", kT0, 8), ElementsAreArray(expected));
  // The same board as a full scan at open builds.
  Reopen();
  EXPECT_THAT(TopIds("", kT0, 8), ElementsAreArray(expected));
}

TEST_F(TrendingTest, TopTrending_RespectsLimit) {
  Items({"a", "b", "c"});
  Record({MakeEvent("u", "a", v1::EVENT_TYPE_CLICK, kT0, "sh"),
          MakeEvent("u", "b", v1::EVENT_TYPE_LIKE, kT0, "sh"),
          MakeEvent("u", "c", v1::EVENT_TYPE_SAVE, kT0, "sh")});
  EXPECT_THAT(TopIds("sh", kT0, 2), ElementsAre("c", "b"));
  EXPECT_THAT(TopIds("sh", kT0, 0), IsEmpty());
  EXPECT_THAT(TopIds("sh", kT0, -1), IsEmpty());
}

TEST_F(TrendingTest, TrendShares_AreRatiosToTheBestAndFiniteAtAnyTime) {
  Items({"a", "b"});
  Record({MakeEvent("u", "a", v1::EVENT_TYPE_PURCHASE, kT0),
          MakeEvent("u", "b", v1::EVENT_TYPE_CLICK, kT0)});
  const double ratio =
      TrendWeight(v1::EVENT_TYPE_CLICK) / TrendWeight(v1::EVENT_TYPE_PURCHASE);
  EXPECT_NEAR(ScoreAt("", kT0, 1) / ScoreAt("", kT0, 0), ratio, 1e-9);
  const std::shared_ptr<const TrendSnapshot> board = store_->TrendBoard("");
  ASSERT_NE(board, nullptr);
  ASSERT_EQ(board->top.size(), 2u);
  EXPECT_EQ(board->top[0].first, "a");
  EXPECT_FLOAT_EQ(board->Share("a"), 1.0f);
  EXPECT_NEAR(board->Share("b"), ratio, 1e-6);
  EXPECT_EQ(board->Share("z"), 0.0f);  // not on the board
  // Scores seen from years before the events overflow; their shares cannot.
  EXPECT_FALSE(std::isfinite(ScoreAt("", kT0 - 3650LL * 86'400'000, 0)));
  EXPECT_EQ(store_->TrendBoard("sh"), nullptr);  // no such board
}

TEST_F(TrendingTest, TrendBoard_IsSharedUntilTheBoardChanges) {
  Items({"a", "b", "c"});
  Record({MakeEvent("u", "a", v1::EVENT_TYPE_PURCHASE, kT0)});
  const std::shared_ptr<const TrendSnapshot> first = store_->TrendBoard("");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(store_->TrendBoard(""), first);  // no copy per reader
  // An event that changes the board gives later readers a new one, and
  // leaves the one already taken as it was.
  Record({MakeEvent("u", "b", v1::EVENT_TYPE_CLICK, kT0)});
  const std::shared_ptr<const TrendSnapshot> second = store_->TrendBoard("");
  ASSERT_NE(second, first);
  EXPECT_EQ(first->top.size(), 1u);
  ASSERT_EQ(second->top.size(), 2u);
  EXPECT_GT(second->Share("b"), 0.0f);
  // Deleting an item takes it off the next snapshot.
  ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"a"}).ok());
  const std::shared_ptr<const TrendSnapshot> third = store_->TrendBoard("");
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->Share("a"), 0.0f);
  EXPECT_EQ(third->top.size(), 1u);
}

// ---------------------------------------------------------------------------
// Durability, concurrency and deletes

TEST_F(TrendingTest, Trending_SurvivesReopen) {
  Items({"a", "b"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, kT0, "sh"),
          MakeEvent("u1", "b", v1::EVENT_TYPE_PURCHASE, kT0 - kTau, "sh")});
  Record({MakeEvent("u2", "a", v1::EVENT_TYPE_CLICK, kT0, "bj")});
  const auto before_sh = Top("sh", kT0);
  const auto before_global = Top("", kT0);
  Reopen();
  const auto after_sh = Top("sh", kT0);
  ASSERT_EQ(after_sh.size(), 2u);
  EXPECT_EQ(after_sh[0].first, "b");
  EXPECT_NEAR(after_sh[0].second, 6 * std::exp(-1.0), 1e-9);
  EXPECT_EQ(after_sh, before_sh);
  EXPECT_EQ(Top("", kT0), before_global);
  EXPECT_THAT(TopIds("bj"), ElementsAre("a"));
  // And it keeps summing after the reopen.
  Record({MakeEvent("u3", "a", v1::EVENT_TYPE_PURCHASE, kT0, "sh")});
  EXPECT_NEAR(ScoreAt("sh", kT0), 7.0, 1e-9);
}

TEST_F(TrendingTest, Trending_ConcurrentRecordEventsLoseNoWeight) {
  Items({"a", "b"});
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string user = "u" + std::to_string(t);
        EXPECT_TRUE(store_
                        ->RecordEvents(std::vector<v1::Event>{
                            MakeEvent(user, "a", v1::EVENT_TYPE_CLICK, kT0, "sh"),
                            MakeEvent(user, "b", v1::EVENT_TYPE_LIKE, kT0, "sh")})
                        .ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  auto check = [&](const std::string& region) {
    const auto top = Top(region, kT0);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].first, "b");
    // One lost batch would be off by 2 (b) or 1 (a).
    EXPECT_NEAR(top[0].second, 2.0 * kThreads * kBatches, 1e-3);
    EXPECT_EQ(top[1].first, "a");
    EXPECT_NEAR(top[1].second, 1.0 * kThreads * kBatches, 1e-3);
  };
  check("sh");
  check("");
  Reopen();
  check("sh");
  check("");
}

TEST_F(TrendingTest, Trending_DeletedItemLeavesTheBoardsForGood) {
  Items({"a", "b"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_PURCHASE, kT0, "sh"),
          MakeEvent("u1", "a", v1::EVENT_TYPE_PURCHASE, kT0, "bj"),
          MakeEvent("u1", "b", v1::EVENT_TYPE_CLICK, kT0, "sh")});
  ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"a"}).ok());
  EXPECT_THAT(TopIds("sh"), ElementsAre("b"));
  EXPECT_THAT(TopIds("bj"), IsEmpty());
  EXPECT_THAT(TopIds(""), ElementsAre("b"));
  Reopen();  // its rows are gone too, so the rebuilt boards lack it
  EXPECT_THAT(TopIds("sh"), ElementsAre("b"));
  EXPECT_THAT(TopIds(""), ElementsAre("b"));

  // Re-created, it starts from nothing.
  Items({"a"});
  Record({MakeEvent("u2", "a", v1::EVENT_TYPE_CLICK, kT0, "sh")});
  const auto top = Top("sh", kT0);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_NEAR(top[0].second, 1.0, 1e-9);
  EXPECT_NEAR(top[1].second, 1.0, 1e-9);
}

TEST_F(TrendingTest, Trending_EventsRacingADeleteLeaveTheBoardAsTheRowsSay) {
  // Whatever the interleaving, the in-memory board must agree with the one
  // rebuilt from the stored rows: no deleted item kept alive by a value read
  // just before its delete, and no row missing from the board.
  for (int round = 0; round < 10; ++round) {
    Items({"x", "steady"});
    Record({MakeEvent("u", "steady", v1::EVENT_TYPE_CLICK, kT0, "sh")});
    std::thread events([&] {
      for (int i = 0; i < 40; ++i) {
        EXPECT_TRUE(store_
                        ->RecordEvents(std::vector<v1::Event>{
                            MakeEvent("u", "x", v1::EVENT_TYPE_LIKE, kT0, "sh")})
                        .ok());
      }
    });
    ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"x"}).ok());
    events.join();
    const auto live = Top("sh", kT0);
    Reopen();
    const auto rebuilt = Top("sh", kT0);
    ASSERT_EQ(live.size(), rebuilt.size()) << "round " << round;
    for (size_t i = 0; i < live.size(); ++i) {
      EXPECT_EQ(live[i].first, rebuilt[i].first);
      EXPECT_NEAR(live[i].second, rebuilt[i].second, 1e-6);
    }
    ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"x", "steady"}).ok());
  }
}

TEST_F(TrendingTest, Trending_BoardHoldsExactlyTheBestAtItsCapacity) {
  board_size_ = 3;
  Reopen();
  Items({"w1", "w2", "w3", "w4", "w5"});
  // Weights rise with the number in the name (1, 2, 3, 4, 6); offered in an
  // order that forces evictions.
  const std::vector<std::pair<std::string, v1::EventType>> events = {
      {"w2", v1::EVENT_TYPE_LIKE},
      {"w1", v1::EVENT_TYPE_CLICK},
      {"w4", v1::EVENT_TYPE_ADD_TO_CART},
      {"w3", v1::EVENT_TYPE_SAVE},
      {"w5", v1::EVENT_TYPE_PURCHASE}};
  for (const auto& [id, type] : events) Record({MakeEvent("u", id, type, kT0, "sh")});
  EXPECT_THAT(TopIds("sh"), ElementsAre("w5", "w4", "w3"));

  // Deleting one of them leaves a gap rather than promoting an item whose
  // rank the board cannot vouch for ...
  ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"w4"}).ok());
  EXPECT_THAT(TopIds("sh"), ElementsAre("w5", "w3"));
  // ... and a later event that lifts an item above every left-off one fills it.
  Record({MakeEvent("u", "w1", v1::EVENT_TYPE_PURCHASE, kT0, "sh")});  // 1 + 6
  EXPECT_THAT(TopIds("sh"), ElementsAre("w1", "w5", "w3"));
  // A reopen rebuilds the board from every row.
  Reopen();
  EXPECT_THAT(TopIds("sh"), ElementsAre("w1", "w5", "w3"));
  ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"w5"}).ok());
  Reopen();
  EXPECT_THAT(TopIds("sh"), ElementsAre("w1", "w3", "w2"));
}

TEST_F(TrendingTest, Trending_OtherTauOnReopenDiscardsStoredTrends) {
  Items({"a"});
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, kT0, "sh")});
  tau_ms_ = 2 * kHour;
  Reopen();
  // Values summed with another tau would read as nonsense scores.
  EXPECT_THAT(TopIds("sh"), IsEmpty());
  EXPECT_THAT(TopIds(""), IsEmpty());
  Record({MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, kT0, "sh")});
  EXPECT_NEAR(ScoreAt("sh", kT0 + 2 * kHour), std::exp(-1.0), 1e-9);
  Reopen();  // the same tau again keeps them
  EXPECT_THAT(TopIds("sh"), ElementsAre("a"));
}

TEST_F(TrendingTest, Open_RefusesNonPositiveTau) {
  store_.reset();
  StoreOptions options;
  options.dir = dir_;
  options.trending_tau_ms = 0;
  EXPECT_EQ(FeatureStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// The pieces

TEST(TrendMath, LogAddExp_ExactFarFromZeroAndWithMinusInfinity) {
  const double big = static_cast<double>(kT0) / kTau;  // about 78,700
  EXPECT_NEAR(LogAddExp(big, big), big + std::log(2.0), 1e-9);
  EXPECT_NEAR(LogAddExp(big + std::log(3.0), big), big + std::log(4.0), 1e-9);
  EXPECT_DOUBLE_EQ(LogAddExp(big, big - 1000), big);
  EXPECT_DOUBLE_EQ(LogAddExp(-INFINITY, 5.0), 5.0);
  double decoded = 0;
  ASSERT_TRUE(DecodeTrendValue(EncodeTrendValue(big), &decoded));
  EXPECT_EQ(decoded, big);
  EXPECT_FALSE(DecodeTrendValue("short", &decoded));
}

TEST(TrendingBoard, Offer_IgnoresStaleLowerValues) {
  TrendingBoard board(2);
  board.Offer("a", 5);
  board.Offer("a", 3);  // a stale read: values only grow
  board.Offer("b", 4);
  const auto top = board.Top(10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0], std::make_pair(std::string("a"), 5.0));
  EXPECT_EQ(top[1], std::make_pair(std::string("b"), 4.0));
}

TEST(TrendingBoard, Offer_NeverAdmitsBelowAnItemLeftOff) {
  TrendingBoard board(2);
  board.Offer("a", 5);
  board.Offer("b", 4);
  board.Offer("c", 3);  // left off: the board is full of better ones
  board.Remove("a");
  board.Offer("d", 2);  // below c, which is not on the board
  EXPECT_EQ(board.size(), 1u);
  board.Offer("c", 3.5);  // c itself, grown: now it is known to be second
  ASSERT_EQ(board.Top(10).size(), 2u);
  EXPECT_EQ(board.Top(10)[1].first, "c");
  board.Offer("e", 9);  // evicts c, the worst
  EXPECT_THAT(board.Top(10), ElementsAre(std::make_pair(std::string("e"), 9.0),
                                         std::make_pair(std::string("b"), 4.0)));
  EXPECT_THAT(TrendingBoard(0).Top(3), IsEmpty());
}

}  // namespace
}  // namespace zhongcao::store
