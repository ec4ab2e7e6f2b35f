// The exposure and outcome logs of store::FeatureStore and their
// background writer (store::ExposureLog): round trips by time range and
// user, pages, retention and row caps, and reopening.
#include "store/exposure_log.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/feature_store.h"

namespace zhongcao::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A row as the recommender logs it: two named features per item.
ExposureRow MakeExposure(const std::string& request_id, const std::string& user,
                         int64_t logged_at_ms, std::vector<std::string> items) {
  ExposureRow row;
  row.add_feature_names("engagement");
  row.add_feature_names("recency");
  v1::Exposure& exposure = *row.mutable_exposure();
  exposure.set_request_id(request_id);
  exposure.set_user_id(user);
  exposure.set_logged_at_ms(logged_at_ms);
  exposure.set_method("GetFeed");
  (*exposure.mutable_arms())["diversity"] = "control";
  for (size_t i = 0; i < items.size(); ++i) {
    v1::ExposedItem* item = exposure.add_items();
    item->set_item_id(items[i]);
    item->set_position(static_cast<int>(i));
    PackedFeatures* features = row.add_item_features();
    features->add_values(0.5f + static_cast<float>(i));
    features->add_values(10.0f + static_cast<float>(i));
  }
  return row;
}

v1::Event MakeEvent(const std::string& user, const std::string& item,
                    const std::string& request_id) {
  v1::Event event;
  event.set_user_id(user);
  event.set_item_id(item);
  event.set_type(v1::EVENT_TYPE_CLICK);
  event.set_timestamp_ms(NowMs());
  event.set_request_id(request_id);
  return event;
}

std::vector<std::string> RequestIds(const std::vector<v1::Exposure>& rows) {
  std::vector<std::string> ids;
  for (const v1::Exposure& row : rows) ids.push_back(row.request_id());
  return ids;
}

class ExposureLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("zhongcao_exposures_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.dir = dir_;
    auto store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  std::vector<v1::Exposure> ReadAll(LogQuery query) {
    std::vector<v1::Exposure> rows;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = store_->ReadExposures(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      rows.insert(rows.end(), page->rows.begin(), page->rows.end());
      if (page->resume_after.empty()) break;
      query.resume_after = page->resume_after;
    }
    return rows;
  }

  fs::path dir_;
  std::unique_ptr<FeatureStore> store_;
};

TEST_F(ExposureLogTest, Exposures_ReadBackByTimeRangeInTimeOrder) {
  const std::vector<ExposureRow> rows = {
      MakeExposure("r3", "alice", 3000, {"i1", "i2"}),
      MakeExposure("r1", "alice", 1000, {"i3"}),
      MakeExposure("r2", "bob", 2000, {"i4", "i5", "i6"}),
  };
  ASSERT_TRUE(store_->AppendExposures(rows).ok());
  LogQuery all;
  std::vector<v1::Exposure> read = ReadAll(all);
  EXPECT_THAT(RequestIds(read), ElementsAre("r1", "r2", "r3"));
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[1].user_id(), "bob");
  ASSERT_EQ(read[1].items_size(), 3);
  EXPECT_EQ(read[1].items(2).item_id(), "i6");
  EXPECT_EQ(read[1].items(2).position(), 2);
  EXPECT_FLOAT_EQ(read[1].items(2).features().at("engagement"), 2.5f);
  EXPECT_FLOAT_EQ(read[1].items(2).features().at("recency"), 12.0f);
  EXPECT_EQ(read[1].items(2).features().size(), 2u);
  EXPECT_EQ(read[1].arms().at("diversity"), "control");

  LogQuery range;
  range.since_ms = 2000;  // inclusive
  range.until_ms = 3000;  // exclusive
  EXPECT_THAT(RequestIds(ReadAll(range)), ElementsAre("r2"));
}

TEST_F(ExposureLogTest, Exposures_FilterByUserAndPage) {
  std::vector<ExposureRow> rows;
  for (int i = 0; i < 25; ++i) {
    rows.push_back(MakeExposure("r" + std::to_string(100 + i), i % 2 ? "bob" : "alice",
                                1000 + i, {"i" + std::to_string(i)}));
  }
  ASSERT_TRUE(store_->AppendExposures(rows).ok());
  LogQuery query;
  query.user_id = "bob";
  query.limit = 5;
  auto first = store_->ReadExposures(query);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rows.size(), 5u);
  EXPECT_FALSE(first->resume_after.empty());
  std::vector<v1::Exposure> bobs = ReadAll(query);
  ASSERT_EQ(bobs.size(), 12u);
  for (size_t i = 0; i < bobs.size(); ++i) {
    EXPECT_EQ(bobs[i].user_id(), "bob");
    EXPECT_EQ(bobs[i].request_id(), "r" + std::to_string(101 + 2 * i));
  }
}

TEST_F(ExposureLogTest, Outcomes_KeptOnlyForEventsNamingARequest) {
  const std::vector<v1::Event> events = {
      MakeEvent("alice", "i1", "r1"), MakeEvent("alice", "i2", ""),
      MakeEvent("bob", "i3", "r2"), MakeEvent("alice", "i1", "r1")};
  ASSERT_TRUE(store_->RecordEvents(events).ok());
  auto all = store_->ReadOutcomes(LogQuery());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->rows.size(), 3u);  // two equal events are both kept
  int alice = 0;
  for (const v1::Outcome& o : all->rows) {
    EXPECT_FALSE(o.event().request_id().empty());
    EXPECT_GT(o.logged_at_ms(), 0);
    alice += o.event().user_id() == "alice";
  }
  EXPECT_EQ(alice, 2);
  LogQuery bob;
  bob.user_id = "bob";
  auto bobs = store_->ReadOutcomes(bob);
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->rows.size(), 1u);
  EXPECT_EQ(bobs->rows[0].event().request_id(), "r2");
  EXPECT_EQ(bobs->rows[0].event().item_id(), "i3");
}

TEST_F(ExposureLogTest, Logs_SurviveReopen) {
  ASSERT_TRUE(
      store_->AppendExposures(std::vector{MakeExposure("r1", "alice", 1000, {"i1"})})
          .ok());
  ASSERT_TRUE(store_->RecordEvents(std::vector{MakeEvent("alice", "i1", "r1")}).ok());
  Reopen();
  EXPECT_THAT(RequestIds(ReadAll(LogQuery())), ElementsAre("r1"));
  auto outcomes = store_->ReadOutcomes(LogQuery());
  ASSERT_TRUE(outcomes.ok());
  EXPECT_EQ(outcomes->rows.size(), 1u);
}

TEST_F(ExposureLogTest, Prune_DropsRowsBeforeRetentionThenOldestPastCap) {
  std::vector<ExposureRow> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back(MakeExposure("r" + std::to_string(i), "alice", 1000 * (i + 1), {"i"}));
  }
  ASSERT_TRUE(store_->AppendExposures(rows).ok());
  ASSERT_TRUE(store_->PruneLogs(/*before_ms=*/3000, /*max_rows=*/0).ok());
  EXPECT_THAT(RequestIds(ReadAll(LogQuery())),
              ElementsAre("r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"));
  ASSERT_TRUE(store_->PruneLogs(/*before_ms=*/0, /*max_rows=*/3).ok());
  EXPECT_THAT(RequestIds(ReadAll(LogQuery())), ElementsAre("r7", "r8", "r9"));
  Reopen();
  EXPECT_THAT(RequestIds(ReadAll(LogQuery())), ElementsAre("r7", "r8", "r9"));

  ASSERT_TRUE(store_->RecordEvents(std::vector{MakeEvent("alice", "i1", "r9")}).ok());
  ASSERT_TRUE(store_->PruneLogs(NowMs() + 1000, 0).ok());
  auto outcomes = store_->ReadOutcomes(LogQuery());
  ASSERT_TRUE(outcomes.ok());
  EXPECT_THAT(outcomes->rows, IsEmpty());
}

TEST_F(ExposureLogTest, Writer_FlushWritesEverythingAppended) {
  {
    ExposureLog log(store_.get(), ExposureLogOptions());
    for (int i = 0; i < 50; ++i) {
      log.Append(MakeExposure("r" + std::to_string(1000 + i), "alice", NowMs(), {"i"}));
    }
    ASSERT_TRUE(log.Flush().ok());
    EXPECT_EQ(log.written(), 50);
    EXPECT_EQ(ReadAll(LogQuery()).size(), 50u);
    // Whatever is still queued is written when the log stops.
    log.Append(MakeExposure("last", "alice", NowMs() + 1, {"i"}));
  }
  std::vector<v1::Exposure> read = ReadAll(LogQuery());
  ASSERT_EQ(read.size(), 51u);
  EXPECT_EQ(read.back().request_id(), "last");
}

TEST_F(ExposureLogTest, Writer_PrunesPastRetention) {
  ExposureLogOptions options;
  options.retention_ms = 60'000;
  ExposureLog log(store_.get(), options);
  log.Append(MakeExposure("old", "alice", NowMs() - 120'000, {"i"}));
  log.Append(MakeExposure("new", "alice", NowMs(), {"i"}));
  ASSERT_TRUE(log.Flush().ok());
  ASSERT_TRUE(log.PruneNow(NowMs()).ok());
  EXPECT_THAT(RequestIds(ReadAll(LogQuery())), ElementsAre("new"));
}

TEST_F(ExposureLogTest, Writer_FullQueueDropsAndCounts) {
  ExposureLogOptions options;
  options.queue_limit = 0;
  ExposureLog log(store_.get(), options);
  log.Append(MakeExposure("r1", "alice", NowMs(), {"i"}));
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_EQ(log.dropped(), 1);
  EXPECT_THAT(ReadAll(LogQuery()), IsEmpty());
}

}  // namespace
}  // namespace zhongcao::store
