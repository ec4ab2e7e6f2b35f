// The evaluator's pieces on hand-made data whose answers are worked out
// by hand: metrics and their intervals, coverage and diversity, the
// baselines, arm grouping, the custom log reader and the server config.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/scratch_dir.h"
#include "tools/evaluate/arm_credit.h"
#include "tools/evaluate/baselines.h"
#include "tools/evaluate/custom_log.h"
#include "tools/evaluate/input.h"
#include "tools/evaluate/repeated_flags.h"
#include "tools/evaluate/scoring.h"
#include "tools/evaluate/server_config.h"
#include "tools/evaluate/timeline.h"
#include "tools/train/evaluation.h"
#include "tools/train/feedback_matrix.h"
#include "tools/train/scorers.h"
#include "tools/train/split.h"

namespace zhongcao::evaluate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::filesystem::path WriteFile(const std::string& name, const std::string& text) {
  const std::filesystem::path path = zhongcao::testing::ScratchDir() / name;
  std::ofstream(path) << text;
  return path;
}

TEST(IntervalTest, NormalApproximation) {
  const std::vector<double> values = {1, 0, 0, 1};
  const Interval i = MeanInterval(values);
  // mean 0.5, sample sd sqrt(1/3), half width 1.96 * sd / sqrt(4).
  const double half = 1.959963984540054 * std::sqrt(1.0 / 3.0) / 2;
  EXPECT_DOUBLE_EQ(i.value, 0.5);
  EXPECT_NEAR(i.low, 0.5 - half, 1e-12);
  EXPECT_NEAR(i.high, 0.5 + half, 1e-12);
  EXPECT_EQ(i.n, 4);
  const Interval one = MeanInterval(std::vector<double>{0.25});
  EXPECT_DOUBLE_EQ(one.low, 0.25);
  EXPECT_DOUBLE_EQ(one.high, 0.25);
  EXPECT_EQ(MeanInterval({}).n, 0);
}

TEST(ScoringTest, HandComputedMetricsCoverageAndDiversity) {
  // Three users; items 0..9 in the catalog.
  const std::vector<int32_t> rel_a = {3}, rel_b = {5, 7}, rel_c = {9};
  const std::vector<int32_t> list_a = {3, 1, 2};  // hit at rank 1
  const std::vector<int32_t> list_b = {1, 7, 2};  // one of two at rank 2
  const std::vector<int32_t> list_c = {1, 2, 4};  // miss
  const std::vector<ScoredUser> users = {
      {&rel_a, &list_a}, {&rel_b, &list_b}, {&rel_c, &list_c}};
  // Item vectors: 1 and 2 orthogonal, 3 the same direction as 1, 4 and 7
  // opposite to 1.
  train::FactorMatrix v(10, 2);
  v.setZero();
  v.row(1) << 1, 0;
  v.row(2) << 0, 2;
  v.row(3) << 3, 0;
  v.row(4) << -1, 0;
  v.row(7) << -1, 0;
  const ItemVectors vectors(v);
  ScoreOptions options;
  options.ks = {1, 2};
  options.catalog_items = 10;
  options.vectors = &vectors;
  options.bootstrap_samples = 50;
  const std::vector<MetricsAt> at = ScoreUsers(users, options);
  ASSERT_EQ(at.size(), 2u);

  EXPECT_EQ(at[0].k, 1);
  EXPECT_DOUBLE_EQ(at[0].hit.value, 1.0 / 3);
  EXPECT_DOUBLE_EQ(at[0].recall.value, 1.0 / 3);
  EXPECT_DOUBLE_EQ(at[0].ndcg.value, 1.0 / 3);
  // Top 1 items: {3, 1, 1}.
  EXPECT_DOUBLE_EQ(at[0].coverage.value, 0.2);
  EXPECT_EQ(at[0].diversity.n, 0);  // one item has no pairs

  EXPECT_EQ(at[1].k, 2);
  EXPECT_DOUBLE_EQ(at[1].hit.value, 2.0 / 3);
  EXPECT_DOUBLE_EQ(at[1].recall.value, (1 + 0.5 + 0) / 3);
  // b: DCG 1/log2(3), ideal for two relevant at K=2: 1 + 1/log2(3).
  const double ndcg_b = (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_NEAR(at[1].ndcg.value, (1 + ndcg_b + 0) / 3, 1e-12);
  // Top 2 items: {3, 1, 7, 2}.
  EXPECT_DOUBLE_EQ(at[1].coverage.value, 0.4);
  EXPECT_LE(at[1].coverage.low, at[1].coverage.value);
  EXPECT_LE(at[1].coverage.high, at[1].coverage.value);  // resamples see no more
  EXPECT_GT(at[1].coverage.low, 0);
  // Pairs: a (3,1) same direction: 0; b (1,7) opposite: 2; c (1,2) orthogonal: 1.
  EXPECT_DOUBLE_EQ(at[1].diversity.value, 1.0);
  EXPECT_EQ(at[1].diversity.n, 3);

  // The same seed gives the same intervals.
  const std::vector<MetricsAt> again = ScoreUsers(users, options);
  EXPECT_EQ(again[1].coverage.low, at[1].coverage.low);
  EXPECT_EQ(again[1].coverage.high, at[1].coverage.high);
}

TEST(ArmCreditTest, GroupsUsersByServedArm) {
  std::vector<UserList> lists(4);
  lists[0].arms = {"diversity/control", "ranker/gbdt"};
  lists[1].arms = {"diversity/more_diverse"};
  lists[2].arms = {"diversity/control"};
  const std::vector<ArmGroup> groups = GroupByServedArm(lists);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].arm, "diversity/control");
  EXPECT_THAT(groups[0].members, ElementsAre(0, 2));
  EXPECT_EQ(groups[1].arm, "diversity/more_diverse");
  EXPECT_THAT(groups[1].members, ElementsAre(1));
  EXPECT_EQ(groups[2].arm, "ranker/gbdt");
  EXPECT_THAT(groups[2].members, ElementsAre(0));
}

v1::Exposure Interleaved(const std::string& request, const std::string& user,
                         std::vector<std::pair<std::string, std::string>> items) {
  v1::Exposure e;
  e.set_request_id(request);
  e.set_user_id(user);
  e.set_interleaved_experiment("ranker");
  (*e.mutable_arms())["ranker"] = "";
  for (const auto& [item, arm] : items) {
    v1::ExposedItem* x = e.add_items();
    x->set_item_id(item);
    x->set_arm(arm);
  }
  return e;
}

TEST(ArmCreditTest, HeldOutItemsAreCreditedToTheArmThatPlacedThem) {
  const std::vector<v1::Exposure> exposures = {
      Interleaved("r1", "u1", {{"a", "good"}, {"b", "bad"}}),  // good served u1's item
      Interleaved("r2", "u2", {{"c", "bad"}, {"d", "good"}}),  // good again
      Interleaved("r3", "u3", {{"e", "good"}, {"f", "bad"}}),  // u3's item not served
      Interleaved("r4", "u4", {{"g", "bad"}, {"h", "good"}}),  // one each: a tie
      Interleaved("r5", "u5", {{"i", "bad"}, {"j", "good"}}),  // bad served it
      Interleaved("other", "u9", {{"a", "bad"}}),              // not a request of ours
  };
  const std::vector<HeldOutRequest> requests = {
      {"r1", "u1", {"a"}},      {"r2", "u2", {"d"}},      {"r3", "u3", {"z"}},
      {"r4", "u4", {"g", "h"}}, {"r5", "u5", {"i", "y"}}, {"r6", "u6", {"a"}},
  };
  const ranking::CreditReport report = CreditHeldOutItems(exposures, requests);
  ASSERT_EQ(report.interleaved.size(), 1u);
  const ranking::InterleavingCredit& c = report.interleaved[0];
  EXPECT_EQ(c.experiment, "ranker");
  EXPECT_EQ(c.arm_a, "bad");  // name order
  EXPECT_EQ(c.arm_b, "good");
  EXPECT_EQ(c.requests, 5);  // r6's exposure was never logged
  EXPECT_EQ(c.requests_with_outcome, 4);
  EXPECT_EQ(c.wins_a, 1);
  EXPECT_EQ(c.wins_b, 2);
  EXPECT_EQ(c.ties, 1);
  EXPECT_NEAR(c.preference_a, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(c.p_value, 1.0);  // 1 of 3: no evidence either way
  EXPECT_EQ(report.unmatched_outcomes, 0);
}

// A log small enough to rank by hand. u1..u3 share a taste: a then b;
// u4 likes c and d. Under leave-one-out each user's last item is the test.
constexpr char kHandLog[] =
    "user,item,ts,action\n"
    "u1,a,1,click\n"
    "u1,b,2,purchase\n"
    "u1,e,3,click\n"
    "u2,a,1,click\n"
    "u2,b,2,click\n"
    "u2,c,3,click\n"
    "u3,a,1,click\n"
    "u3,c,2,click\n"
    "u3,b,3,buy\n"
    "u4,c,1,click\n"
    "u4,d,2,click\n"
    "u4,a,3,click\n";

TEST(HandLogTest, BaselinesAndMetricsHaveTheKnownAnswers) {
  InputOptions o;
  o.log = WriteFile("hand.csv", kHandLog).string();
  o.columns = "user=user,item=item,timestamp=ts,type=action";
  o.type_map = "buy=purchase";
  o.protocol = "last_n";
  o.n = 1;
  absl::StatusOr<EvaluationInput> in = ReadInput(o);
  ASSERT_TRUE(in.ok()) << in.status();
  const train::InteractionLog& log = in->log;
  ASSERT_EQ(log.items.size(), 5);  // a b e c d
  const train::Split split = train::SplitByTime(log, in->protocol);
  const std::vector<train::UserTargets> targets = train::GroupByUser(split.test);
  ASSERT_EQ(targets.size(), 4u);
  const int32_t a = *log.items.Find("a"), b = *log.items.Find("b"),
                c = *log.items.Find("c"), d = *log.items.Find("d"),
                e = *log.items.Find("e");
  // Test items: u1 e, u2 c, u3 b, u4 a.
  EXPECT_THAT(targets[0].items, ElementsAre(e));
  EXPECT_THAT(targets[3].items, ElementsAre(a));

  const train::FeedbackMatrix train = train::FeedbackMatrix::Build(
      log.users.size(), log.items.size(), split.train_with_validation,
      train::EventWeights::Default());
  // Training: u1 {a,b}, u2 {a,b}, u3 {a,c}, u4 {c,d}. Popularity: a 3,
  // b 2, c 2, d 1, e 0; ties go to the lower index (b before c).
  const train::PopularityScorer popularity(train);
  const std::vector<UserList> pop = RankForUsers(popularity, train, targets, 2, 2);
  EXPECT_THAT(pop[0].items, ElementsAre(c, d));  // u1 has a and b
  EXPECT_THAT(pop[1].items, ElementsAre(c, d));
  EXPECT_THAT(pop[2].items, ElementsAre(b, d));
  EXPECT_THAT(pop[3].items, ElementsAre(a, b));

  // Item kNN: cos(a,b) = 2/sqrt(3*2), cos(a,c) = 1/sqrt(3*2), cos(c,d) =
  // 1/sqrt(2*1). u4 {c,d} scores a by cos(a,c) = 0.408 and nothing else
  // but d's and c's neighbours, so a ranks first.
  const ItemKnnScorer knn(train, 0);
  ASSERT_EQ(knn.Neighbors(a).size(), 2u);
  EXPECT_EQ(knn.Neighbors(a)[0].item, b);
  EXPECT_NEAR(knn.Neighbors(a)[0].similarity, 2 / std::sqrt(6.0), 1e-6);
  const std::vector<UserList> nn = RankForUsers(knn, train, targets, 2, 1);
  EXPECT_EQ(nn[3].items.front(), a);
  // u2 {a,b}: c scores cos(a,c) = 0.408, d 0: c first (a hit).
  EXPECT_EQ(nn[1].items.front(), c);

  ScoreOptions options;
  options.ks = {1, 2};
  options.catalog_items = log.items.size();
  auto score = [&](const std::vector<UserList>& lists) {
    std::vector<ScoredUser> users;
    for (size_t i = 0; i < targets.size(); ++i) {
      users.push_back({&targets[i].items, &lists[i].items});
    }
    return ScoreUsers(users, options);
  };
  // Popularity hits u2 (c), u3 (b) and u4 (a), each at rank 1, and misses
  // u1 (e has no training user): HR@1 = HR@2 = NDCG@2 = 3/4.
  const std::vector<MetricsAt> p = score(pop);
  EXPECT_DOUBLE_EQ(p[0].hit.value, 0.75);
  EXPECT_DOUBLE_EQ(p[1].hit.value, 0.75);
  EXPECT_DOUBLE_EQ(p[1].ndcg.value, 0.75);
  EXPECT_DOUBLE_EQ(p[1].coverage.value, 4.0 / 5);  // a, b, c, d
  // kNN: u2 (c at 1) and u4 (a at 1) for sure.
  const std::vector<MetricsAt> k = score(nn);
  EXPECT_GE(k[0].hit.value, 0.5);
}

TEST(CustomLogTest, JsonlAndHeaderlessCsv) {
  CustomLogOptions o;
  o.path = WriteFile("log.jsonl",
                     "{\"u\": \"x\", \"i\": 7, \"t\": 5}\n\n{\"u\": \"y\", \"i\": \"8\", "
                     "\"t\": 6.0, \"cat\": \"shoes\"}\n");
  o.columns = *ParseColumnMapping("user=u,item=i,timestamp=t,category=cat");
  absl::StatusOr<train::InteractionLog> log = ReadCustomLog(o);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events.size(), 2u);
  EXPECT_EQ(log->items.Name(0), "7");
  EXPECT_EQ(log->events[1].timestamp, 6);
  EXPECT_EQ(log->categories.size(), 1);

  CustomLogOptions csv;
  csv.path = WriteFile("noheader.csv", "1,10,pv,100\n2,11,buy,101\n");
  csv.csv_header = false;
  csv.columns = *ParseColumnMapping("user=0,item=1,type=2,timestamp=3");
  csv.types = *ParseTypeMap("pv=click,buy=purchase");
  log = ReadCustomLog(csv);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->events[1].type, train::EventType::kPurchase);
}

TEST(CustomLogTest, ClearErrors) {
  EXPECT_THAT(ParseColumnMapping("user=u").status().message(),
              HasSubstr("user and item are required"));
  EXPECT_THAT(ParseColumnMapping("user=u,item=i,price=p").status().message(),
              HasSubstr("unknown role 'price'"));

  CustomLogOptions o;
  o.path = "/nonexistent/log.csv";
  o.columns = *ParseColumnMapping("user=u,item=i");
  EXPECT_EQ(ReadCustomLog(o).status().code(), absl::StatusCode::kNotFound);

  o.path = WriteFile("bad_header.csv", "u,sku\nx,1\n");
  EXPECT_THAT(ReadCustomLog(o).status().message(), HasSubstr(":1: no column 'i'"));

  o.path = WriteFile("bad_type.csv", "u,i,t\nx,1,pv\n");
  o.columns = *ParseColumnMapping("user=u,item=i,type=t");
  EXPECT_THAT(ReadCustomLog(o).status().message(),
              HasSubstr("bad_type.csv:2: t: unknown event type 'pv'"));

  o.path = WriteFile("bad_ts.jsonl", "{\"u\":\"x\",\"i\":\"1\",\"t\":\"soon\"}\n");
  o.columns = *ParseColumnMapping("user=u,item=i,timestamp=t");
  EXPECT_THAT(ReadCustomLog(o).status().message(), HasSubstr(":1: t: 'soon'"));

  InputOptions in;
  in.dataset = "amazon_beauty";
  in.data_dir = "/nonexistent";
  absl::StatusOr<EvaluationInput> missing = ReadInput(in);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("--data_dir"));
  in.dataset = "movielens";
  EXPECT_THAT(ReadInput(in).status().message(), HasSubstr("unknown dataset"));
}

TEST(TimelineTest, PositionsAreMinutesEndingAtTheGivenTime) {
  std::vector<train::Interaction> events(3);
  events[0].timestamp = 0;
  events[1].timestamp = 4;
  events[2].timestamp = 2;
  const Timeline t = Timeline::Fit(events, TimeUnit::kPositions, 10'000'000);
  EXPECT_EQ(t.ToMs(4), 10'000'000);
  EXPECT_EQ(t.ToMs(2), 10'000'000 - 2 * 60'000);
  EXPECT_EQ(t.start_ms(), 10'000'000 - 4 * 60'000);
  const Timeline s = Timeline::Fit(events, TimeUnit::kSeconds, 1'000'000);
  EXPECT_EQ(s.ToMs(3), 1'000'000 - 1000);
}

TEST(ServerConfigTest, OverridesGoIntoSettingsAndAreChecked) {
  absl::StatusOr<std::string> text = MakeServerConfig(
      "[settings.weights]\nfreshness = 0.5\n\n[[experiments]]\nname = \"e\"\n"
      "salt = \"s\"\n[[experiments.arms]]\nname = \"a\"\nweight = 1\n",
      {{"rerank.mmr_lambda", 1}, {"weights.freshness", 0}, {"session_events", 5}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("mmr_lambda = 1"));
  EXPECT_THAT(*text, HasSubstr("freshness = 0"));
  EXPECT_THAT(*text, HasSubstr("session_events = 5"));
  EXPECT_THAT(*text, HasSubstr("experiments"));
  EXPECT_THAT(MakeServerConfig("", {{"rerank.no_such_thing", 1}}).status().message(),
              HasSubstr("no_such_thing"));
  EXPECT_THAT(ParseSettingOverride("rerank.mmr_lambda").status().message(),
              HasSubstr("name=number"));
}

TEST(RepeatedFlagValuesTest, GathersEveryOccurrenceInOrder) {
  const char* argv[] = {"zhongcao_evaluate",
                        "--set=rerank.mmr_lambda=1",
                        "--dataset=amazon_beauty",
                        "--set",
                        "budgets.covisit=0,weights.covisit=0",
                        "-set=budgets.ann_user=100,",
                        "--settings=not.this=1",
                        "--server_flags=--trending_tau_hours=2160",
                        "--",
                        "--set=after.the.end=1"};
  EXPECT_THAT(RepeatedFlagValues(std::size(argv), argv, "set"),
              ElementsAre("rerank.mmr_lambda=1", "budgets.covisit=0", "weights.covisit=0",
                          "budgets.ann_user=100"));
  EXPECT_THAT(RepeatedFlagValues(std::size(argv), argv, "server_flags"),
              ElementsAre("--trending_tau_hours=2160"));
  EXPECT_TRUE(RepeatedFlagValues(std::size(argv), argv, "config").empty());
}

}  // namespace
}  // namespace zhongcao::evaluate
