// Ranking examples from a running server's logs, over gRPC on loopback:
// feeds are served, events name the responses they follow, and the join of
// ReadExposures with ReadOutcomes gives one example per served item with the
// features the exposure log kept and the label of what the user did; a model
// trained on them loads back into the server.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ranking/scorer/ranking_features.h"
#include "tests/integration/test_server.h"
#include "tools/log_reader/log_reader.h"
#include "tools/rank_train/ranker_trainer.h"
#include "tools/rank_train/server_examples.h"

namespace zhongcao {
namespace {

constexpr int kDim = 8;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RankExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::TestServer>(kDim);
    std::mt19937_64 rng(11);
    std::vector<v1::Item> items;
    for (int i = 0; i < 60; ++i) {
      v1::Item item;
      item.set_id("i" + std::to_string(i));
      item.set_kind(v1::ITEM_KIND_NOTE);
      item.set_creator_id("c" + std::to_string(i % 30));
      item.set_created_at_ms(NowMs() - i * 3'600'000LL);
      for (float x : testing::RandomUnit(kDim, rng)) item.add_embedding(x);
      items.push_back(item);
    }
    ASSERT_TRUE(server_->Upsert(items).ok());
    std::vector<v1::User> users;
    for (int u = 0; u < 4; ++u) {
      v1::User user;
      user.set_id("u" + std::to_string(u));
      for (float x : testing::RandomUnit(kDim, rng)) user.add_embedding(x);
      users.push_back(user);
    }
    ASSERT_TRUE(server_->UpsertUsers(users).ok());
  }

  v1::GetFeedResponse Feed(const std::string& user) {
    v1::GetFeedRequest request;
    request.set_user_id(user);
    request.set_count(8);
    v1::GetFeedResponse response;
    EXPECT_TRUE(server_->Feed(request, &response).ok());
    EXPECT_EQ(response.items_size(), 8);
    return response;
  }

  static v1::Event Outcome(const std::string& user, const v1::GetFeedResponse& feed,
                           int position, v1::EventType type) {
    v1::Event e;
    e.set_user_id(user);
    e.set_item_id(feed.items(position).item_id());
    e.set_request_id(feed.request_id());
    e.set_type(type);
    return e;
  }

  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(RankExamplesTest, JoinsExposuresWithOutcomesIntoLabelledExamples) {
  const int64_t since = NowMs();
  const v1::GetFeedResponse f0 = Feed("u0");
  const v1::GetFeedResponse f1 = Feed("u1");
  const v1::GetFeedResponse f2 = Feed("u2");  // draws no outcome
  const std::vector<v1::Event> events = {
      Outcome("u0", f0, 2, v1::EVENT_TYPE_PURCHASE),
      Outcome("u0", f0, 5, v1::EVENT_TYPE_CLICK),
      Outcome("u0", f0, 5, v1::EVENT_TYPE_SAVE),  // the strongest of two counts: 2
      Outcome("u1", f1, 0, v1::EVENT_TYPE_LIKE)};
  ASSERT_TRUE(server_->Record(events).ok());

  log_reader::LogRange range;
  range.since_ms = since;
  range.page_limit = 1;  // every response on its own page: tokens are followed
  absl::StatusOr<rank_train::JoinedExamples> joined =
      rank_train::ExamplesFromServer(*server_->admin, range, {});
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->outcomes, 4);
  EXPECT_EQ(joined->stats.exposures, 3);
  EXPECT_EQ(joined->stats.requests, 3);
  EXPECT_EQ(joined->stats.requests_with_outcome, 2);
  EXPECT_EQ(joined->stats.skipped_other_features, 0);
  ASSERT_EQ(joined->examples.size(), 24u);

  // Each example is a served item, in page order, labelled by what its user
  // did, with the features the exposure log kept for it.
  std::map<std::string, const v1::GetFeedResponse*> feeds = {
      {f0.request_id(), &f0}, {f1.request_id(), &f1}, {f2.request_id(), &f2}};
  std::vector<v1::Exposure> exposures;
  ASSERT_TRUE(log_reader::ReadExposures(*server_->admin, range, [&](v1::Exposure& e) {
                exposures.push_back(e);
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(exposures.size(), 3u);
  const std::vector<std::string>& names = ranking::RankingFeatureNames();
  std::map<std::string, int> labels;
  for (size_t row = 0; row < joined->examples.size(); ++row) {
    const rank_train::RankingExample& e = joined->examples[row];
    const v1::Exposure& exposure = exposures[row / 8];
    const v1::ExposedItem& item = exposure.items(static_cast<int>(row % 8));
    ASSERT_EQ(e.request_id, exposure.request_id());
    ASSERT_TRUE(feeds.contains(e.request_id));
    EXPECT_EQ(item.item_id(),
              feeds[e.request_id]->items(static_cast<int>(row % 8)).item_id());
    ASSERT_EQ(e.features.size(), names.size());
    for (size_t f = 0; f < names.size(); ++f) {
      EXPECT_EQ(e.features[f], item.features().at(names[f])) << names[f];
    }
    if (e.label > 0) labels[item.item_id()] = e.label;
  }
  EXPECT_EQ(labels, (std::map<std::string, int>{{f0.items(2).item_id(), 3},
                                                {f0.items(5).item_id(), 2},
                                                {f1.items(0).item_id(), 1}}));
  // The user vector reached the features: similarity is not all zero.
  const auto similarity =
      std::find(names.begin(), names.end(), "similarity") - names.begin();
  bool any = false;
  for (const auto& e : joined->examples) any |= e.features[similarity] != 0;
  EXPECT_TRUE(any);

  // Leaving out responses without an outcome drops u2's page alone.
  rank_train::ExampleJoinOptions only;
  only.requests_with_outcomes_only = true;
  absl::StatusOr<rank_train::JoinedExamples> some =
      rank_train::ExamplesFromServer(*server_->admin, range, only);
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some->examples.size(), 16u);
  EXPECT_EQ(some->stats.skipped_requests, 1);
  for (const auto& e : some->examples) EXPECT_NE(e.request_id, f2.request_id());

  // A range that ends before the feeds holds nothing.
  log_reader::LogRange before;
  before.since_ms = since - 60'000;
  before.until_ms = since;
  absl::StatusOr<rank_train::JoinedExamples> none =
      rank_train::ExamplesFromServer(*server_->admin, before, {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->examples.empty());

  // The joined examples train a model that the server loads.
  absl::StatusOr<rank_train::RankingDataset> data =
      rank_train::BuildRankingDataset(std::move(some->examples));
  ASSERT_TRUE(data.ok()) << data.status();
  rank_train::RankerTrainOptions options;
  options.rounds = 5;
  options.threads = 1;
  options.holdout_fraction = 0;
  const std::string model =
      (std::filesystem::path(::testing::TempDir()) /
       ("zhongcao_rank_examples_" + std::to_string(::getpid()) + ".json"))
          .string();
  ASSERT_TRUE(rank_train::TrainRanker(*data, options, model).ok());
  grpc::ClientContext context;
  v1::LoadRankerModelRequest load;
  load.set_path(model);
  v1::LoadRankerModelResponse loaded;
  const grpc::Status status = server_->admin->LoadRankerModel(&context, load, &loaded);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(loaded.serving().trees(), 5);
  std::filesystem::remove(model);
}

TEST_F(RankExamplesTest, PagesOfLargeExposuresFitTheDefaultMessageLimit) {
  // 160 items, and feeds of 100: 250 of them log about 5 MiB of exposures,
  // more than one page may hold. The test's channel keeps gRPC's default
  // 4 MiB receive limit, as a harness in any language would.
  std::mt19937_64 rng(12);
  std::vector<v1::Item> items;
  for (int i = 60; i < 160; ++i) {
    v1::Item item;
    item.set_id("i" + std::to_string(i));
    item.set_kind(v1::ITEM_KIND_NOTE);
    item.set_creator_id("c" + std::to_string(i % 80));
    for (float x : testing::RandomUnit(kDim, rng)) item.add_embedding(x);
    items.push_back(item);
  }
  ASSERT_TRUE(server_->Upsert(items).ok());
  const int64_t since = NowMs();
  int64_t served_bytes = 0;
  for (int r = 0; r < 250; ++r) {
    v1::GetFeedRequest request;
    request.set_user_id("u" + std::to_string(r % 4));
    request.set_count(100);
    v1::GetFeedResponse response;
    ASSERT_TRUE(server_->Feed(request, &response).ok());
    ASSERT_EQ(response.items_size(), 100);
  }
  log_reader::LogRange range;
  range.since_ms = since;
  range.page_limit = 1000;
  int64_t exposures = 0;
  const absl::Status s =
      log_reader::ReadExposures(*server_->admin, range, [&](v1::Exposure& e) {
        ++exposures;
        served_bytes += static_cast<int64_t>(e.ByteSizeLong());
        return absl::OkStatus();
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(exposures, 250);
  EXPECT_GT(served_bytes, 4 << 20) << "the log must span more than one page";
}

TEST_F(RankExamplesTest, AServerErrorIsReturnedWithTheCallNamed) {
  log_reader::LogRange range;
  range.since_ms = -1;  // refused by the server
  absl::StatusOr<rank_train::JoinedExamples> joined =
      rank_train::ExamplesFromServer(*server_->admin, range, {});
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(joined.status().message().find("ReadOutcomes"), std::string::npos)
      << joined.status();
}

}  // namespace
}  // namespace zhongcao
