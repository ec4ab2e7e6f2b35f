// The learned ranker over gRPC: a model trained by our trainer is loaded
// with AdminService.LoadRankerModel and then orders GetFeed and explains it;
// bad files are refused while the served model stays; an experiment arm
// switches back to the weighted sum; the configured model loads at start.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "ranking/scorer/ranker_model.h"
#include "ranking/scorer/ranking_features.h"
#include "service/config.h"
#include "tests/integration/test_server.h"
#include "tools/rank_train/ranker_trainer.h"
#include "tools/rank_train/ranking_examples.h"
#include "xgboost/c_api.h"

namespace zhongcao {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TestServer;
namespace fs = std::filesystem;

constexpr int kDim = 4;
constexpr int64_t kNow = 2'000'000'000'000;

std::string TempPath(const std::string& name) {
  return (fs::path(::testing::TempDir()) /
          ("zhongcao_ranker_swap_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// A model whose label follows freshness alone, written to `path`.
void TrainFreshnessModel(const std::string& path) {
  const auto& names = ranking::RankingFeatureNames();
  const int freshness = static_cast<int>(
      std::find(names.begin(), names.end(), "freshness") - names.begin());
  std::vector<rank_train::RankingExample> examples =
      rank_train::SyntheticRankingExamples(400, 20, freshness, /*noise=*/0, /*seed=*/3);
  // Only freshness varies, so no tree can split on a feature the served
  // notes happen to differ in (similarity) and reorder them.
  for (rank_train::RankingExample& e : examples) {
    for (size_t f = 0; f < e.features.size(); ++f) {
      if (static_cast<int>(f) != freshness) e.features[f] = 0;
    }
  }
  absl::StatusOr<rank_train::RankingDataset> data =
      rank_train::BuildRankingDataset(std::move(examples));
  ASSERT_TRUE(data.ok()) << data.status();
  rank_train::RankerTrainOptions options;
  options.rounds = 40;
  options.threads = 1;
  options.label = "freshness";
  absl::StatusOr<rank_train::RankerTrainReport> report =
      rank_train::TrainRanker(*data, options, path);
  ASSERT_TRUE(report.ok()) << report.status();
}

// Scoring is all this test is about: no diversity, caps or other sources
// reorder what the scorer decided.
service::ServerOptions ScoringOnly() {
  service::ServerOptions options;
  ranking::FeedSettings& s = options.ranking.settings;
  s.budgets.ann_session = s.budgets.following = s.budgets.trending = s.budgets.fresh =
      s.budgets.campaign = s.budgets.recent = 0;
  s.budgets.source_deadline_ms = 10000;
  s.rerank.mmr_lambda = 1;
  absl::StatusOr<ranking::Experiments> experiments = ranking::Experiments::Create(
      {{"ranker",
        "ranker",
        {{"learned", 1, {}}, {"weighted", 1, {{"scorer.learned", 0}}}}}});
  EXPECT_TRUE(experiments.ok()) << experiments.status();
  options.ranking.experiments = *std::move(experiments);
  return options;
}

class RankerSwapTest : public ::testing::Test {
 protected:
  RankerSwapTest() : server_(kDim, ScoringOnly()) {}

  // Four notes: the more similar to the user, the older. The ages put
  // freshness (0.3, 0.7, 0.85, 0.97) in the synthetic labels' four bands, so
  // the model orders them newest first; the weighted sum, where similarity
  // weighs most, most similar first.
  void SetUp() override {
    const float similarity[] = {0.9f, 0.7f, 0.5f, 0.3f};
    const float freshness[] = {0.3f, 0.7f, 0.85f, 0.97f};
    std::vector<v1::Item> items;
    for (int i = 0; i < 4; ++i) {
      v1::Item item;
      item.set_id("i" + std::to_string(i));
      item.set_kind(v1::ITEM_KIND_NOTE);
      item.set_creator_id("c" + std::to_string(i));
      const double age_hours = -48 * std::log2(freshness[i]);
      item.set_created_at_ms(kNow - static_cast<int64_t>(age_hours * 3.6e6));
      const float s = similarity[i];
      for (float x : {s, std::sqrt(1 - s * s), 0.0f, 0.0f}) item.add_embedding(x);
      items.push_back(item);
    }
    ASSERT_TRUE(server_.Upsert(items).ok());
    v1::User user;
    user.set_id("u");
    for (float x : {1.0f, 0.0f, 0.0f, 0.0f}) user.add_embedding(x);
    ASSERT_TRUE(server_.UpsertUsers({user}).ok());
  }

  grpc::Status Load(const std::string& path, v1::LoadRankerModelResponse* response) {
    grpc::ClientContext context;
    v1::LoadRankerModelRequest request;
    request.set_path(path);
    return server_.admin->LoadRankerModel(&context, request, response);
  }

  // The feed's item ids, and whether every item was scored by the model.
  std::vector<std::string> Feed(const std::string& arm, bool* by_model) {
    v1::GetFeedRequest request;
    request.set_user_id("u");
    request.set_count(4);
    request.mutable_context()->set_now_ms(kNow);
    (*request.mutable_force_arms())["ranker"] = arm;
    v1::GetFeedResponse response;
    const grpc::Status status = server_.Feed(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    *by_model = response.items_size() > 0;
    for (const v1::ScoredItem& item : response.items()) {
      ids.push_back(item.item_id());
      const auto& parts = item.explanation().contributions();
      const bool model = parts.contains("model");
      *by_model = *by_model && model;
      if (model) {
        EXPECT_FLOAT_EQ(parts.at("model"), item.score());
        EXPECT_TRUE(parts.contains("feature:freshness"));
        EXPECT_FALSE(parts.contains("similarity"));
      }
    }
    return ids;
  }

  TestServer server_;
};

TEST_F(RankerSwapTest, LoadRankerModel_ThenGetFeedRanksWithTheModel) {
  bool by_model = true;
  EXPECT_THAT(Feed("learned", &by_model), ElementsAre("i0", "i1", "i2", "i3"));
  EXPECT_FALSE(by_model);  // none loaded yet: the weighted sum
  EXPECT_FALSE(server_.Status().has_ranker_model());

  const std::string path = TempPath("fresh.json");
  TrainFreshnessModel(path);
  v1::LoadRankerModelResponse loaded;
  grpc::Status status = Load(path, &loaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(loaded.serving().path(), path);
  EXPECT_THAT(loaded.serving().version(), ::testing::StartsWith("m-"));
  EXPECT_EQ(loaded.serving().label(), "freshness");
  EXPECT_FALSE(loaded.has_previous());
  EXPECT_EQ(std::vector<std::string>(loaded.serving().features().begin(),
                                     loaded.serving().features().end()),
            ranking::RankingFeatureNames());

  EXPECT_THAT(Feed("learned", &by_model), ElementsAre("i3", "i2", "i1", "i0"));
  EXPECT_TRUE(by_model);
  const v1::GetStatusResponse after = server_.Status();
  EXPECT_EQ(after.ranker_model().version(), loaded.serving().version());
  EXPECT_EQ(after.ranker_model().objective(), "rank:ndcg");
  EXPECT_EQ(after.ranker_model().trees(), 40);

  // The weighted arm is still the weighted sum.
  EXPECT_THAT(Feed("weighted", &by_model), ElementsAre("i0", "i1", "i2", "i3"));
  EXPECT_FALSE(by_model);

  // Loading again reports the replaced model.
  ASSERT_TRUE(Load(path, &loaded).ok());
  EXPECT_EQ(loaded.previous().version(), loaded.serving().version());
  fs::remove(path);
}

TEST_F(RankerSwapTest, BadModels_AreRefusedAndTheServedOneStays) {
  const std::string path = TempPath("good.json");
  TrainFreshnessModel(path);
  v1::LoadRankerModelResponse loaded;
  ASSERT_TRUE(Load(path, &loaded).ok());
  const std::string version = loaded.serving().version();

  v1::LoadRankerModelResponse response;
  grpc::Status status = Load(TempPath("absent.json"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("path: no model file"));

  const std::string garbage = TempPath("garbage.json");
  std::ofstream(garbage) << "{\"not\": \"a model\"}";
  status = Load(garbage, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS) << status.error_message();

  // A model trained on another feature list.
  const std::string other = TempPath("other.json");
  fs::copy_file(path, other, fs::copy_options::overwrite_existing);
  BoosterHandle booster = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  ASSERT_EQ(XGBoosterLoadModel(booster, other.c_str()), 0);
  ASSERT_EQ(
      XGBoosterSetAttr(booster, ranking::kModelFeaturesAttr, "similarity,dwell_seconds"),
      0);
  ASSERT_EQ(XGBoosterSaveModel(booster, other.c_str()), 0);
  XGBoosterFree(booster);
  status = Load(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("[similarity,dwell_seconds]"));

  status = Load("", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Still serving the good model.
  EXPECT_EQ(server_.Status().ranker_model().version(), version);
  bool by_model = false;
  EXPECT_THAT(Feed("learned", &by_model), ElementsAre("i3", "i2", "i1", "i0"));
  EXPECT_TRUE(by_model);
  for (const auto& p : {path, garbage, other}) fs::remove(p);
}

TEST(RankerConfig, TheConfiguredModelLoadsAtStartAndABadOneStopsIt) {
  const std::string path = TempPath("start.json");
  TrainFreshnessModel(path);
  absl::StatusOr<ranking::RecommenderOptions> parsed = service::ParseConfig(
      "[ranker]\nmodel = \"" + path + "\"\n[settings.scorer]\nlearned = 1\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ranker_model, path);
  EXPECT_THAT(service::ParseConfig("[ranker]\nmodle = \"x\"\n").status().message(),
              HasSubstr("ranker.modle: unknown key"));
  EXPECT_THAT(service::ParseConfig("[ranker]\nmodel = 3\n").status().message(),
              HasSubstr("ranker.model: must be a string"));

  service::ServerOptions options;
  options.ranking = *parsed;
  {
    TestServer server(kDim, options);
    EXPECT_EQ(server.Status().ranker_model().path(), path);
  }

  const fs::path dir = TempPath("bad_start_dir");
  fs::remove_all(dir);
  service::NodeOptions node_options;
  node_options.data_dir = dir;
  node_options.index.dim = kDim;
  auto node = service::Node::Open(node_options);
  ASSERT_TRUE(node.ok()) << node.status();
  options.address = "127.0.0.1:0";
  options.ranking.ranker_model = TempPath("absent.json");
  auto server = service::ZhongcaoServer::Start(**node, options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  node->reset();
  fs::remove_all(dir);
  fs::remove(path);
}

}  // namespace
}  // namespace zhongcao
