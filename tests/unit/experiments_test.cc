// Feed settings by name, experiment arm assignment and the TOML config.
#include "ranking/experiment/experiments.h"

#include <map>

#include "gtest/gtest.h"
#include "ranking/feed_settings.h"
#include "service/config.h"

namespace zhongcao {
namespace {

using ranking::Experiment;
using ranking::Experiments;
using ranking::FeedSettings;

TEST(FeedSettings, SetByName_ChangesExactlyThatSetting) {
  FeedSettings settings;
  ASSERT_TRUE(ranking::SetFeedSetting("rerank.mmr_lambda", 0.4, &settings).ok());
  ASSERT_TRUE(ranking::SetFeedSetting("budgets.trending", 0, &settings).ok());
  ASSERT_TRUE(ranking::SetFeedSetting("weights.purchase", 2.5, &settings).ok());
  EXPECT_FLOAT_EQ(settings.rerank.mmr_lambda, 0.4f);
  EXPECT_EQ(settings.budgets.trending, 0);
  EXPECT_FLOAT_EQ(settings.weights.purchase, 2.5f);
  EXPECT_EQ(settings.budgets.ann_user, FeedSettings().budgets.ann_user);
}

TEST(FeedSettings, UnknownNameOrOutOfRange_IsRefused) {
  FeedSettings settings;
  absl::Status unknown = ranking::SetFeedSetting("weights.charisma", 1, &settings);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("weights.charisma"), absl::string_view::npos);
  EXPECT_FALSE(ranking::SetFeedSetting("rerank.mmr_lambda", 1.5, &settings).ok());
  EXPECT_FALSE(ranking::SetFeedSetting("budgets.ann_user", -1, &settings).ok());
  EXPECT_FLOAT_EQ(settings.rerank.mmr_lambda, FeedSettings().rerank.mmr_lambda);
}

Experiment TwoArms(int control_weight, int treatment_weight) {
  Experiment e;
  e.name = "diversity";
  e.salt = "s1";
  e.arms.push_back({"control", control_weight, {}});
  e.arms.push_back({"treatment", treatment_weight, {{"rerank.mmr_lambda", 0.3}}});
  return e;
}

TEST(Experiments, Assignment_IsStablePerUserAndAppliesOverrides) {
  absl::StatusOr<Experiments> experiments = Experiments::Create({TwoArms(50, 50)});
  ASSERT_TRUE(experiments.ok()) << experiments.status();
  google::protobuf::Map<std::string, std::string> none;
  for (int u = 0; u < 50; ++u) {
    const std::string user = "u" + std::to_string(u);
    FeedSettings first, second;
    auto a = experiments->Assign(user, none, &first);
    auto b = experiments->Assign(user, none, &second);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ((*a)[0].arm, (*b)[0].arm);
    EXPECT_FALSE((*a)[0].forced);
    EXPECT_FLOAT_EQ(first.rerank.mmr_lambda, (*a)[0].arm == "treatment" ? 0.3f : 0.75f);
  }
}

TEST(Experiments, Traffic_SplitsInConfiguredProportions) {
  absl::StatusOr<Experiments> experiments = Experiments::Create({TwoArms(20, 80)});
  ASSERT_TRUE(experiments.ok());
  std::map<size_t, int> counts;
  const int users = 20000;
  for (int u = 0; u < users; ++u) {
    ++counts[Experiments::Bucket(experiments->experiments()[0],
                                 "user-" + std::to_string(u))];
  }
  // 20% expected; 4 standard deviations of a binomial(20000, 0.2) is ~1.1%.
  EXPECT_NEAR(counts[0] / static_cast<double>(users), 0.20, 0.012);
  EXPECT_NEAR(counts[1] / static_cast<double>(users), 0.80, 0.012);
}

TEST(Experiments, Salt_ReshufflesUsers) {
  Experiment a = TwoArms(50, 50);
  Experiment b = a;
  b.salt = "s2";
  int moved = 0;
  for (int u = 0; u < 1000; ++u) {
    const std::string user = "u" + std::to_string(u);
    moved += Experiments::Bucket(a, user) != Experiments::Bucket(b, user);
  }
  EXPECT_GT(moved, 350);  // about half move; none would with the same salt
}

TEST(Experiments, ForcedArm_WinsAndUnknownArmIsRefused) {
  absl::StatusOr<Experiments> experiments = Experiments::Create({TwoArms(1, 1)});
  ASSERT_TRUE(experiments.ok());
  google::protobuf::Map<std::string, std::string> forced;
  forced["diversity"] = "treatment";
  for (int u = 0; u < 20; ++u) {
    FeedSettings settings;
    auto choice = experiments->Assign("u" + std::to_string(u), forced, &settings);
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ((*choice)[0].arm, "treatment");
    EXPECT_TRUE((*choice)[0].forced);
  }
  forced["diversity"] = "nope";
  FeedSettings settings;
  auto refused = experiments->Assign("u1", forced, &settings);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("force_arms"), absl::string_view::npos);
}

TEST(Experiments, Create_RefusesBadDefinitions) {
  Experiment duplicate_arm = TwoArms(1, 1);
  duplicate_arm.arms[1].name = "control";
  Experiment zero_weight = TwoArms(0, 1);
  Experiment bad_override = TwoArms(1, 1);
  bad_override.arms[1].overrides = {{"rerank.nothing", 1}};
  for (const Experiment& bad : {duplicate_arm, zero_weight, bad_override}) {
    EXPECT_EQ(Experiments::Create({bad}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(Experiments::Create({TwoArms(1, 1), TwoArms(1, 1)}).ok());  // same name
}

TEST(Config, ShippedExample_ParsesWithCampaignsAndExperiments) {
  absl::StatusOr<ranking::RecommenderOptions> options =
      service::LoadConfig(std::string(ZHONGCAO_SOURCE_DIR) + "/deploy/zhongcao.toml");
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_EQ(options->campaigns.size(), 2u);
  EXPECT_EQ(options->campaigns[0].tag, "1111");
  // 2026-11-12T00:00:00+08:00 is 2026-11-11T16:00:00Z.
  EXPECT_EQ(options->campaigns[0].end_ms, 1794412800000);
  EXPECT_FALSE(options->campaigns[0].boost_from_settings);  // boost = 0.3 given
  EXPECT_TRUE(options->campaigns[1].boost_from_settings);   // none given
  ASSERT_EQ(options->surface_settings.count(v1::SURFACE_FOLLOWING), 1u);
  EXPECT_EQ(options->surface_settings.count(v1::SURFACE_HOME), 0u);
  ASSERT_EQ(options->experiments.experiments().size(), 1u);
  EXPECT_EQ(options->experiments.experiments()[0].arms[1].overrides.size(), 2u);
}

TEST(Config, Settings_NestedTablesSetDottedNames) {
  auto options = service::ParseConfig(
      "[settings.weights]\nfreshness = 0.7\n[settings.budgets]\ntrending = 0\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FLOAT_EQ(options->settings.weights.freshness, 0.7f);
  EXPECT_EQ(options->settings.budgets.trending, 0);
}

TEST(Config, Mistakes_AreErrorsNamingTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"[settings.weights]\nfreshnes = 0.7\n", "settings.weights.freshnes"},
      {"[settings.rerank]\nmmr_lambda = \"high\"\n", "rerank.mmr_lambda"},
      {"[setings]\n", "setings"},
      {"[[campaigns]]\nname = \"x\"\ntag = \"t\"\nstart = 2026-01-01T00:00:00Z\n",
       "campaigns[0].end"},
      {"[[campaigns]]\nname = \"x\"\ntag = \"t\"\nstart = 2026-01-02T00:00:00Z\n"
       "end = 2026-01-01T00:00:00Z\n",
       "campaigns[0]"},
      {"weights = [1, 2\n", "line"},
      {"[surfaces.moon.budgets]\nrecent = 1\n", "surfaces.moon"},
      {"[settings.budgets]\ntrending = 2.5\n", "whole number"},
      {"[[campaigns]]\nname = \"x\"\ntag = \"t\"\nstart = 1\nend = 2\nbost = 1.0\n",
       "campaigns[0].bost"},
      {"[[campaigns]]\nname = \"x\"\ntag = \"t\"\nstart = 1\nend = 2\nboost = nan\n",
       "campaigns[0].boost"},
      {"[[experiments]]\nname = \"e\"\n[[experiments.arms]]\nname = \"a\"\n"
       "weight = 0.5\n",
       "experiments[0].arms[0].weight"},
      {"[[experiments]]\nname = \"e\"\nsalt_ = \"x\"\n", "experiments[0].salt_"},
      {"[surfaces.shop.budgets]\nrecnt = 1\n", "surfaces.shop.budgets.recnt"},
  };
  for (const auto& [text, key] : cases) {
    auto options = service::ParseConfig(text);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(options.status().message().find(key), absl::string_view::npos)
        << options.status().message();
  }
}

}  // namespace
}  // namespace zhongcao
