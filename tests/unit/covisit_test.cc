// Unit tests of the feature store's co-visitation rows (store/covisit.h):
// pairing by window and direction, event weights, decay, truncation with the
// total kept, batch order, deletes and reopening; the history bytes
// (store/history_wire.h) the pairing reads, and the users' kept lists
// (store/recent_items_memo.h) it reads instead.
#include "store/covisit.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/feature_store.h"
#include "store/history_wire.h"
#include "store/recent_items_memo.h"

namespace zhongcao::store {
namespace {

namespace fs = std::filesystem;
using ::testing::_;
using ::testing::Contains;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

constexpr int64_t kT = 1'700'000'000'000;
constexpr int64_t kTau = 3'600'000;

v1::Event Event(const std::string& user, const std::string& item, v1::EventType type,
                int64_t ts = kT) {
  v1::Event event;
  event.set_user_id(user);
  event.set_item_id(item);
  event.set_type(type);
  event.set_timestamp_ms(ts);
  return event;
}

v1::Event Click(const std::string& user, const std::string& item, int64_t ts = kT) {
  return Event(user, item, v1::EVENT_TYPE_CLICK, ts);
}

class CovisitStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("zhongcao_covisit_test_") + info->name() + "_" +
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
    options.covisit_window = window_;
    options.covisit_backward = backward_;
    options.covisit_tau_ms = kTau;
    options.covisit_row_limit = row_limit_;
    options.recent_items_users = recent_items_users_;
    absl::StatusOr<std::unique_ptr<FeatureStore>> store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void Record(const std::vector<v1::Event>& events) {
    ASSERT_TRUE(store_->RecordEvents(events).ok());
  }

  CovisitRow Row(const std::string& item, int64_t now_ms = kT) {
    const std::string ids[] = {item};
    absl::StatusOr<std::vector<CovisitRow>> rows = store_->ReadCovisit(ids, now_ms);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && rows->size() == 1 ? (*rows)[0] : CovisitRow();
  }

  int window_ = 5;
  double backward_ = 0.5;
  int row_limit_ = 200;
  size_t recent_items_users_ = StoreOptions().recent_items_users;
  fs::path dir_;
  std::unique_ptr<FeatureStore> store_;
};

TEST_F(CovisitStoreTest, Pairing_ForwardByDistanceBackwardAtHalfWithinTheWindow) {
  window_ = 2;
  Reopen();
  // Separate batches: the previous items come from the stored history.
  for (const char* item : {"a", "b", "c", "d"}) Record({Click("u", item)});
  // a was 1st before b, 2nd before c, 3rd before d (outside the window).
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9)),
                                              Pair("c", DoubleNear(0.5, 1e-9))));
  EXPECT_THAT(Row("b").neighbors, ElementsAre(Pair("c", DoubleNear(1, 1e-9)),
                                              Pair("a", DoubleNear(0.5, 1e-9)),
                                              Pair("d", DoubleNear(0.5, 1e-9))));
  // d's backward row: c at distance 1, b at distance 2.
  EXPECT_THAT(Row("d").neighbors, ElementsAre(Pair("c", DoubleNear(0.5, 1e-9)),
                                              Pair("b", DoubleNear(0.25, 1e-9))));
  EXPECT_NEAR(Row("a").total, 1.5, 1e-9);
}

TEST_F(CovisitStoreTest, Pairing_WeighsEventTypesAndIgnoresImpressions) {
  Record({Click("u", "a"), Event("u", "shown", v1::EVENT_TYPE_IMPRESSION),
          Event("u", "b", v1::EVENT_TYPE_PURCHASE)});
  // The impression neither pairs nor stands between a and b.
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(6, 1e-9))));
  EXPECT_THAT(Row("shown").neighbors, IsEmpty());
  EXPECT_THAT(Row("b").neighbors, ElementsAre(Pair("a", DoubleNear(3, 1e-9))));
}

TEST_F(CovisitStoreTest, Pairing_PreviousItemsAreDistinctAndNeverTheItemItself) {
  Record({Click("u", "a"), Click("u", "b"), Click("u", "a"), Click("u", "c")});
  // Before c the distinct items newest first are a, b: a at distance 1.
  const CovisitRow a = Row("a");
  EXPECT_THAT(a.neighbors,
              ElementsAre(Pair("b", DoubleNear(1 + 0.5, 1e-9)),  // a->b, then b<-a
                          Pair("c", DoubleNear(1, 1e-9))));
  EXPECT_THAT(Row("c").neighbors, ElementsAre(Pair("a", DoubleNear(0.5, 1e-9)),
                                              Pair("b", DoubleNear(0.25, 1e-9))));
}

TEST_F(CovisitStoreTest, BatchOrder_OneBatchPairsLikeSeparateOnesAndUsersStayApart) {
  Record({Click("u1", "a"), Click("u2", "x"), Click("u1", "b"), Click("u2", "y")});
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9))));
  EXPECT_THAT(Row("x").neighbors, ElementsAre(Pair("y", DoubleNear(1, 1e-9))));
  // A later batch continues from both: u1's newest is b, then a.
  Record({Click("u1", "c")});
  EXPECT_THAT(Row("b").neighbors, ElementsAre(Pair("c", DoubleNear(1, 1e-9)),
                                              Pair("a", DoubleNear(0.5, 1e-9))));
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9)),
                                              Pair("c", DoubleNear(0.5, 1e-9))));
}

TEST_F(CovisitStoreTest, Decay_RowsDecayWithTauToTheReadTime) {
  Record({Click("u", "a", kT), Click("u", "b", kT)});
  // One tau later a second pair, in another batch, adds at full weight.
  Record({Click("v", "a", kT + kTau), Click("v", "b", kT + kTau)});
  const double old_part = std::exp(-1.0);
  EXPECT_THAT(Row("a", kT + kTau).neighbors,
              ElementsAre(Pair("b", DoubleNear(1 + old_part, 1e-9))));
  EXPECT_NEAR(Row("a", kT + 2 * kTau).total, (1 + old_part) * old_part, 1e-9);
  // Reading at an earlier time never grows a row.
  EXPECT_NEAR(Row("a", kT).total, 1 + old_part, 1e-9);
}

TEST_F(CovisitStoreTest, Decay_OutOfOrderEventsInOneBatchDecayToTheNewest) {
  Record({Click("u", "a", kT + kTau), Click("u", "b", kT + kTau), Click("u", "c", kT)});
  // c happened one tau before the row's newest pair.
  EXPECT_THAT(Row("a", kT + kTau).neighbors,
              ElementsAre(Pair("b", DoubleNear(1, 1e-9)),
                          Pair("c", DoubleNear(0.5 * std::exp(-1.0), 1e-9))));
}

// Two thousand taus decay a weight to exactly zero: the older pairs of a
// row must end at zero, not at a weight divided by a zero decay.
TEST_F(CovisitStoreTest, Decay_ABatchSpanningThousandsOfTausStaysFinite) {
  const int64_t later = kT + 2000 * kTau;
  Record({Click("u", "a", kT), Click("u", "b", kT), Click("u", "c", later)});
  EXPECT_THAT(Row("b", later).neighbors, ElementsAre(Pair("c", DoubleNear(1, 1e-9)),
                                                     Pair("a", DoubleNear(0, 1e-12))));
  EXPECT_THAT(Row("a", later).neighbors, ElementsAre(Pair("c", DoubleNear(0.5, 1e-9)),
                                                     Pair("b", DoubleNear(0, 1e-12))));
  EXPECT_NEAR(Row("a", later).total, 0.5, 1e-9);
}

TEST_F(CovisitStoreTest, Truncation_KeepsTheHeaviestAndTheWholeTotal) {
  row_limit_ = 2;
  Reopen();
  Record({Click("u1", "a"), Event("u1", "b", v1::EVENT_TYPE_PURCHASE)});
  Record({Click("u2", "a"), Event("u2", "c", v1::EVENT_TYPE_LIKE)});
  Record({Click("u3", "a"), Click("u3", "d")});
  Record({Click("u4", "a"), Event("u4", "e", v1::EVENT_TYPE_LIKE)});
  const CovisitRow row = Row("a");
  EXPECT_THAT(row.neighbors, ElementsAre(Pair("b", DoubleNear(6, 1e-9)),
                                         Pair("c", DoubleNear(2, 1e-9))));
  EXPECT_NEAR(row.total, 6 + 2 + 1 + 2, 1e-9);
  // Truncation also holds within one batch.
  Record({Click("w", "p"), Click("w", "q"), Click("w", "r"), Click("w", "s")});
  EXPECT_EQ(Row("s").neighbors.size(), 2u);
  EXPECT_NEAR(Row("s").total, 0.5 + 0.25 + 0.5 / 3, 1e-9);
}

TEST_F(CovisitStoreTest, WindowZero_TurnsPairingOff) {
  window_ = 0;
  Reopen();
  Record({Click("u", "a"), Click("u", "b")});
  EXPECT_THAT(Row("a").neighbors, IsEmpty());
  EXPECT_EQ(Row("a").total, 0);
}

TEST_F(CovisitStoreTest, ReadCovisit_InOrderWithEmptyRowsForUnknownItems) {
  Record({Click("u", "a"), Click("u", "b")});
  const std::string ids[] = {"nothing", "b", "a"};
  absl::StatusOr<std::vector<CovisitRow>> rows = store_->ReadCovisit(ids, kT);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_THAT((*rows)[0].neighbors, IsEmpty());
  EXPECT_THAT((*rows)[1].neighbors, ElementsAre(Pair("a", DoubleNear(0.5, 1e-9))));
  EXPECT_THAT((*rows)[2].neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9))));
}

TEST_F(CovisitStoreTest, DeleteItem_DropsItsOwnRow) {
  std::vector<v1::Item> items(2);
  items[0].set_id("a");
  items[1].set_id("b");
  ASSERT_TRUE(store_->UpsertItems(items).ok());
  Record({Click("u", "a"), Click("u", "b")});
  ASSERT_FALSE(Row("a").neighbors.empty());
  const std::string deleted[] = {"a"};
  ASSERT_TRUE(store_->DeleteItems(deleted).ok());
  EXPECT_THAT(Row("a").neighbors, IsEmpty());
  EXPECT_EQ(Row("a").total, 0);
  // b still names a; readers drop deleted neighbours when they hydrate.
  EXPECT_THAT(Row("b").neighbors, ElementsAre(Pair("a", DoubleNear(0.5, 1e-9))));
}

TEST_F(CovisitStoreTest, Reopen_RowsAndHistoriesSurvive) {
  Record({Click("u", "a"), Click("u", "b")});
  Reopen();
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9))));
  // Pairing goes on from the stored history.
  Record({Click("u", "c")});
  EXPECT_THAT(Row("a").neighbors, ElementsAre(Pair("b", DoubleNear(1, 1e-9)),
                                              Pair("c", DoubleNear(0.5, 1e-9))));
}

TEST_F(CovisitStoreTest, Reopen_PairsWithTheNewestOfALongStoredHistory) {
  window_ = 2;
  Reopen();
  // A long history whose newest distinct weighted items are a, then b: the
  // repeat of a and the impression after it do not count.
  std::vector<v1::Event> history;
  for (int i = 0; i < 300; ++i) history.push_back(Click("u", "old" + std::to_string(i)));
  for (const char* item : {"b", "a", "b", "a"}) history.push_back(Click("u", item));
  history.push_back(Event("u", "shown", v1::EVENT_TYPE_IMPRESSION));
  Record(history);
  Reopen();
  Record({Click("u", "c")});
  EXPECT_THAT(Row("c").neighbors, ElementsAre(Pair("a", DoubleNear(0.5, 1e-9)),
                                              Pair("b", DoubleNear(0.25, 1e-9))));
  EXPECT_THAT(Row("old299").neighbors, Not(Contains(Pair("c", _))));
}

// Batches that revisit items, mix users and carry impressions: the rows
// they leave must not depend on whether pairing started from the kept
// lists or from the histories.
std::vector<std::vector<v1::Event>> MixedBatches() {
  std::vector<std::vector<v1::Event>> batches;
  for (int b = 0; b < 12; ++b) {
    std::vector<v1::Event> batch;
    for (int e = 0; e < 7; ++e) {
      const std::string user = "u" + std::to_string((b + e) % 5);
      const std::string item = "i" + std::to_string((b * 7 + e * 3) % 11);
      const int64_t ts = kT + b * 1000 + e;
      batch.push_back(e % 4 == 3 ? Event(user, item, v1::EVENT_TYPE_IMPRESSION, ts)
                                 : Click(user, item, ts));
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

TEST_F(CovisitStoreTest, RecentItems_KeptListsPairLikeTheHistories) {
  std::vector<std::vector<CovisitRow>> rows_by_size;
  for (size_t users : {size_t{0}, size_t{1}, size_t{1} << 17}) {
    recent_items_users_ = users;
    store_.reset();
    fs::remove_all(dir_);
    Reopen();
    for (const std::vector<v1::Event>& batch : MixedBatches()) Record(batch);
    std::vector<std::string> items;
    for (int i = 0; i < 11; ++i) items.push_back("i" + std::to_string(i));
    absl::StatusOr<std::vector<CovisitRow>> rows =
        store_->ReadCovisit(items, kT + 20'000);
    ASSERT_TRUE(rows.ok()) << rows.status();
    rows_by_size.push_back(*std::move(rows));
  }
  size_t neighbors = 0;
  for (const CovisitRow& row : rows_by_size[0]) neighbors += row.neighbors.size();
  EXPECT_GT(neighbors, 30u);
  for (size_t k = 1; k < rows_by_size.size(); ++k) {
    for (size_t i = 0; i < rows_by_size[0].size(); ++i) {
      const CovisitRow& want = rows_by_size[0][i];
      const CovisitRow& got = rows_by_size[k][i];
      EXPECT_NEAR(got.total, want.total, 1e-9) << "memo size #" << k << ", i" << i;
      ASSERT_EQ(got.neighbors.size(), want.neighbors.size()) << "memo size #" << k;
      for (size_t n = 0; n < want.neighbors.size(); ++n) {
        EXPECT_EQ(got.neighbors[n].first, want.neighbors[n].first);
        EXPECT_NEAR(got.neighbors[n].second, want.neighbors[n].second, 1e-9);
      }
    }
  }
}

TEST(RecentItemsMemo, MakeNewestMovesARepeatToTheFrontAndKeepsTheRoom) {
  std::vector<std::string> recent = {"c", "b", "a"};
  MakeNewest("b", 3, &recent);
  EXPECT_THAT(recent, ElementsAre("b", "c", "a"));
  MakeNewest("d", 3, &recent);
  EXPECT_THAT(recent, ElementsAre("d", "b", "c"));
}

TEST(RecentItemsMemo, UpdateKeepsANewListAndAppliesTheBatchToAHeldOne) {
  RecentItemsMemo memo(100, 3);
  std::vector<std::string> recent;
  EXPECT_FALSE(memo.Find("u", &recent));
  const std::string first[] = {"a", "b"};
  memo.Update("u", first, {"b", "a", "old1", "old2"});
  ASSERT_TRUE(memo.Find("u", &recent));
  EXPECT_THAT(recent, ElementsAre("b", "a", "old1"));
  // A batch that began before the first one was applied and ends after it
  // (its own `newest` never saw a and b): both batches' items stay.
  const std::string second[] = {"c", "a"};
  memo.Update("u", second, {"a", "c", "old1"});
  ASSERT_TRUE(memo.Find("u", &recent));
  EXPECT_THAT(recent, ElementsAre("a", "c", "b"));
  EXPECT_FALSE(memo.Find("v", &recent));
}

TEST(RecentItemsMemo, HoldsAtMostItsUsersAndTheNewestUpdated) {
  RecentItemsMemo memo(32, 2);
  std::vector<std::string> recent;
  const std::string items[] = {"x"};
  for (int u = 0; u < 1000; ++u) {
    const std::string user = "u" + std::to_string(u);
    memo.Update(user, items, {"x"});
    ASSERT_TRUE(memo.Find(user, &recent)) << user;
  }
  EXPECT_LE(memo.size(), 32u);
  EXPECT_GE(memo.size(), 16u);

  RecentItemsMemo none(0, 2);
  none.Update("u", items, {"x"});
  EXPECT_FALSE(none.Find("u", &recent));
  EXPECT_EQ(none.size(), 0u);
}

// Rows are stored best first, so a read only checks the order; a row in
// another order (another version's writer) is still read best first, ties
// by id.
TEST(CovisitRowAt, ReadsARowInAnotherOrderBestFirst) {
  CovisitView view;
  view.updated_ms = 1000;
  view.total = 4;
  view.neighbors = {{"b", 1.0}, {"c", 2.0}, {"a", 1.0}};
  const CovisitRow row = CovisitRowAt(view, 1000, 1000);
  EXPECT_THAT(row.neighbors, ElementsAre(Pair("c", DoubleNear(2, 1e-12)),
                                         Pair("a", DoubleNear(1, 1e-12)),
                                         Pair("b", DoubleNear(1, 1e-12))));
  EXPECT_NEAR(row.total, 4, 1e-12);
}

TEST(CovisitPairer, StartUser_RefusesBytesThatAreNotAHistory) {
  CovisitPairer pairer(CovisitOptions{});
  EXPECT_TRUE(pairer.StartUser("u", "").ok());
  UserHistory history;
  history.add_events()->set_item_id("a");
  const std::string bytes = history.SerializeAsString();
  EXPECT_TRUE(pairer.StartUser("u", bytes).ok());
  EXPECT_EQ(pairer.StartUser("u", bytes.substr(0, bytes.size() - 1)).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(pairer.StartUser("u", "\xff\xff\xff").code(), absl::StatusCode::kDataLoss);
}

TEST(HistoryWire, EventsRoundTripByteForByteAndOtherFieldsAreSkipped) {
  UserHistory history;
  for (const char* item : {"a", "b", "c"}) {
    RecentEvent* event = history.add_events();
    event->set_item_id(item);
    event->set_type(v1::EVENT_TYPE_LIKE);
    event->set_timestamp_ms(kT);
  }
  const std::string bytes = history.SerializeAsString();
  std::vector<absl::string_view> events;
  ASSERT_TRUE(HistoryEvents(bytes, &events).ok());
  ASSERT_EQ(events.size(), 3u);
  RecentEvent second;
  ASSERT_TRUE(second.ParseFromArray(events[1].data(), events[1].size()));
  EXPECT_EQ(second.item_id(), "b");
  std::string written;
  AppendHistoryEvents(events, &written);
  EXPECT_EQ(written, bytes);
  // An unknown varint field (number 2) between the events is stepped over.
  const std::string with_other = std::string("\x10\x07") + bytes;
  // Appended after the events already gathered, as a merge gathers operands.
  ASSERT_TRUE(HistoryEvents(with_other, &events).ok());
  EXPECT_EQ(events.size(), 6u);
  EXPECT_EQ(events[4], events[1]);
}

TEST(CovisitWire, ViewsRoundTripByteForByteAndOtherFieldsAreSkipped) {
  CovisitRecord record;
  record.set_updated_ms(kT);
  record.set_total(7.5);
  for (const auto& [id, weight] : {std::pair<const char*, double>{"a", 3.0},
                                   {"a-much-longer-item-identifier", 2.5},
                                   {"", 1.0},
                                   {"zero", 0.0},
                                   {"negative-zero", -0.0}}) {
    CovisitNeighbor* n = record.add_neighbors();
    n->set_item_id(id);
    n->set_weight(weight);
  }
  const std::string bytes = record.SerializeAsString();
  CovisitView view;
  ASSERT_TRUE(ParseCovisitView(bytes, &view).ok());
  EXPECT_EQ(view.updated_ms, kT);
  EXPECT_EQ(view.total, 7.5);
  ASSERT_EQ(view.neighbors.size(), 5u);
  EXPECT_EQ(view.neighbors[1].first, "a-much-longer-item-identifier");
  EXPECT_EQ(view.neighbors[1].second, 2.5);
  std::string written;
  AppendCovisitView(view, &written);
  EXPECT_EQ(written, bytes);

  // A field this version does not know, in the row and in a neighbour.
  std::string extended = bytes + std::string("\x20\x05", 2);  // field 4, varint 5
  ASSERT_TRUE(ParseCovisitView(extended, &view).ok());
  EXPECT_EQ(view.neighbors.size(), 5u);
  EXPECT_EQ(ParseCovisitView(bytes.substr(0, bytes.size() - 3), &view).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCovisitView("\xff\xff\xff", &view).code(), absl::StatusCode::kDataLoss);
}

TEST(SumCovisitViews, AddsSmallRowsIntoTheBiggestWhereverItIs) {
  const int64_t later = kT + kTau;
  const CovisitView small = {
      .updated_ms = later, .total = 2, .neighbors = {{"b", 1}, {"x", 1}}};
  const CovisitView big = {.updated_ms = kT,
                           .total = 10,
                           .neighbors = {{"a", 4}, {"b", 3}, {"c", 2}, {"d", 1}}};
  for (const std::vector<CovisitView>& rows :
       {std::vector<CovisitView>{small, big}, std::vector<CovisitView>{big, small}}) {
    const CovisitView sum = SumCovisitViews(rows, kTau, 4);
    const double e = std::exp(-1.0);
    EXPECT_EQ(sum.updated_ms, later);
    EXPECT_NEAR(sum.total, 10 * e + 2, 1e-12);
    // The big row decays by a tau; b gets both rows' weights, x only the
    // small one's, and d (e) falls off the row of four.
    ASSERT_EQ(sum.neighbors.size(), 4u);
    EXPECT_EQ(sum.neighbors[0].first, "b");
    EXPECT_NEAR(sum.neighbors[0].second, 3 * e + 1, 1e-12);
    EXPECT_EQ(sum.neighbors[1].first, "a");
    EXPECT_NEAR(sum.neighbors[1].second, 4 * e, 1e-12);
    EXPECT_EQ(sum.neighbors[2].first, "x");
    EXPECT_NEAR(sum.neighbors[2].second, 1, 1e-12);
    EXPECT_EQ(sum.neighbors[3].first, "c");
    EXPECT_NEAR(sum.neighbors[3].second, 2 * e, 1e-12);
  }
}

TEST(CovisitStoreOptions, InvalidOptionsAreRefused) {
  StoreOptions options;
  options.dir = fs::path(::testing::TempDir()) /
                ("zhongcao_covisit_options_" + std::to_string(::getpid()));
  options.covisit_row_limit = 0;
  EXPECT_EQ(FeatureStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.covisit_row_limit = 10;
  options.covisit_tau_ms = 0;
  EXPECT_EQ(FeatureStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::error_code ec;
  fs::remove_all(options.dir, ec);
}

TEST(MergeCovisitRecords, IsCommutativeAndKeepsTheTotal) {
  CovisitRecord x;
  x.set_updated_ms(kT);
  x.set_total(3);
  auto* n = x.add_neighbors();
  n->set_item_id("p");
  n->set_weight(3);
  CovisitRecord y;
  y.set_updated_ms(kT + kTau);
  y.set_total(2);
  n = y.add_neighbors();
  n->set_item_id("q");
  n->set_weight(2);
  CovisitRecord xy = x;
  MergeCovisitRecords(y, kTau, 1, &xy);
  CovisitRecord yx = y;
  MergeCovisitRecords(x, kTau, 1, &yx);
  EXPECT_EQ(xy.SerializeAsString(), yx.SerializeAsString());
  EXPECT_EQ(xy.updated_ms(), kT + kTau);
  EXPECT_NEAR(xy.total(), 2 + 3 * std::exp(-1.0), 1e-9);
  ASSERT_EQ(xy.neighbors_size(), 1);
  EXPECT_EQ(xy.neighbors(0).item_id(), "q");  // 2 > 3 / e
}

}  // namespace
}  // namespace zhongcao::store
