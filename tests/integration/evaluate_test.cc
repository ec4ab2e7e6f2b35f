// zhongcao_evaluate end to end: a fresh data directory, the real server
// binary on loopback, feeds over gRPC, scored beside the baselines. One
// hand-made log with split experiment arms, with an interleaved experiment
// credited from the exposure log, and with a ranker trained on validation
// feeds; and 1,000 users of Amazon Beauty (skipped without ../shared/data).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/scratch_dir.h"
#include "tools/evaluate/evaluator.h"
#include "tools/evaluate/report.h"

namespace zhongcao::evaluate {
namespace {

const SystemResult* Find(const EvaluationResult& r, const std::string& system,
                         const std::string& arm = "all") {
  for (const SystemResult& s : r.systems) {
    if (s.system == system && s.arm == arm) return &s;
  }
  return nullptr;
}

std::filesystem::path Temp(const std::string& name) {
  return zhongcao::testing::ScratchDir() / name;
}

// 120 users in four tastes of ten items each; every user touches six items
// of their taste, one a minute.
std::filesystem::path WriteClusteredLog() {
  const std::filesystem::path path = Temp("clustered.csv");
  std::ofstream out(path);
  out << "user,item,ts,event\n";
  std::mt19937 rng(7);
  for (int u = 0; u < 120; ++u) {
    const int cluster = u % 4;
    std::vector<int> items(10);
    for (int i = 0; i < 10; ++i) items[static_cast<size_t>(i)] = cluster * 10 + i;
    std::shuffle(items.begin(), items.end(), rng);
    for (int j = 0; j < 6; ++j) {
      out << "user" << u << ",item" << items[static_cast<size_t>(j)] << ","
          << (1'000'000 + u * 10 + j) * 60'000LL << "," << (j == 5 ? "purchase" : "click")
          << "\n";
    }
  }
  return path;
}

EvaluateOptions ClusteredLogOptions(const std::filesystem::path& config) {
  EvaluateOptions o;
  o.input.log = WriteClusteredLog().string();
  o.input.columns = "user=user,item=item,timestamp=ts,type=event";
  o.input.protocol = "loo";
  o.ks = {5, 10};
  o.factors = 8;
  o.server_binary = ZHONGCAO_SERVER_BINARY;
  o.config_file = config.string();
  o.settings = {{"budgets.source_deadline_ms", 2000}};
  o.client_threads = 2;
  o.bootstrap_samples = 50;
  return o;
}

TEST(EvaluateEndToEnd, HandMadeLogWithArmsThroughTheServer) {
  const std::filesystem::path config = Temp("arms.toml");
  std::ofstream(config) << "[[experiments]]\nname = \"mmr\"\nsalt = \"t\"\n"
                           "[[experiments.arms]]\nname = \"on\"\nweight = 50\n"
                           "[[experiments.arms]]\nname = \"off\"\nweight = 50\n"
                           "settings = { rerank = { mmr_lambda = 1.0 } }\n";
  absl::StatusOr<EvaluationResult> r = Evaluate(ClusteredLogOptions(config));
  ASSERT_TRUE(r.ok()) << r.status();

  EXPECT_EQ(r->test_users, 120);
  EXPECT_EQ(r->evaluated_users, 120);
  EXPECT_EQ(r->load.events, 120 * 5);  // LOO trains on all but the last
  EXPECT_EQ(r->seen_items_served, 0);  // the feed masks the history
  const SystemResult* all = Find(*r, "zhongcao");
  ASSERT_NE(all, nullptr);
  ASSERT_EQ(all->metrics.size(), 2u);
  EXPECT_EQ(all->metrics[1].hit.n, 120);
  // Each user has four unseen items of their taste left among 40: a
  // served list of ten built from the trained vectors finds the test item
  // far more often than popularity, which ignores taste.
  const SystemResult* pop = Find(*r, "popularity");
  ASSERT_NE(pop, nullptr);
  EXPECT_GT(all->metrics[1].hit.value, 0.6);
  EXPECT_GT(all->metrics[1].hit.value, pop->metrics[1].hit.value + 0.2);
  ASSERT_NE(Find(*r, "item_knn"), nullptr);

  // Both arms served some users, and the arms' users add up.
  const SystemResult* on = Find(*r, "zhongcao", "mmr/on");
  const SystemResult* off = Find(*r, "zhongcao", "mmr/off");
  ASSERT_NE(on, nullptr);
  ASSERT_NE(off, nullptr);
  EXPECT_GT(on->metrics[0].hit.n, 0);
  EXPECT_GT(off->metrics[0].hit.n, 0);
  EXPECT_EQ(on->metrics[0].hit.n + off->metrics[0].hit.n, 120);

  const std::string json = FormatJson(*r, "test");
  EXPECT_NE(json.find("\"mmr/off\""), std::string::npos);
  EXPECT_NE(json.find("\"phase_seconds\""), std::string::npos);
  EXPECT_NE(FormatTable(*r).find("item_knn"), std::string::npos);
}

TEST(EvaluateEndToEnd, InterleavedArmsAreCreditedFromTheExposureLog) {
  // "taste" ranks as the service does; "against" ranks the user's taste
  // last. Each list of ten holds five picks of each; the held-out item is
  // one of the user's five unseen items of their taste, which only "taste"
  // drafts, so it must win nearly every request that served the item.
  const std::filesystem::path config = Temp("interleaved.toml");
  std::ofstream(config)
      << "[[experiments]]\nname = \"ranker\"\nsalt = \"t\"\ninterleaved = true\n"
         "[[experiments.arms]]\nname = \"taste\"\n"
         "[[experiments.arms]]\nname = \"against\"\n"
         "settings = { weights = { similarity = -1.0, session_similarity = -1.0, "
         "covisit = -1.0 } }\n";
  absl::StatusOr<EvaluationResult> r = Evaluate(ClusteredLogOptions(config));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->interleaved.size(), 1u);
  const EvaluationResult::Interleaved& i = r->interleaved[0];
  EXPECT_EQ(i.system, "zhongcao");
  const ranking::InterleavingCredit& c = i.credit.credit;
  EXPECT_EQ(c.experiment, "ranker");
  EXPECT_EQ(c.arm_a, "against");
  EXPECT_EQ(c.arm_b, "taste");
  EXPECT_EQ(c.requests + i.credit.missing_exposures, 120);
  EXPECT_GE(c.requests, 110);
  // The interleaved list found the item for most users, and "taste" placed it.
  EXPECT_GT(c.requests_with_outcome, 60);
  EXPECT_GE(c.wins_b, 0.9 * (c.wins_a + c.wins_b)) << c.wins_a << " " << c.wins_b;
  EXPECT_LT(c.p_value, 1e-6);
  EXPECT_LT(c.ci95_high, 0.2);  // the preference for "against"
  // An interleaved response has no arm of its own: no per-arm rows.
  for (const SystemResult& s : r->systems) EXPECT_EQ(s.arm, "all") << s.arm;

  EXPECT_NE(FormatTable(*r).find("interleaved ranker (zhongcao)"), std::string::npos)
      << FormatTable(*r);
  EXPECT_NE(FormatJson(*r, "test").find("\"wins_b\""), std::string::npos);
}

// A ranker small enough to train in a test: feeds of 20, 30 rounds.
void TrainSmallRanker(EvaluateOptions* o) {
  o->train_ranker = true;
  o->ranker_feed_count = 20;
  o->ranker.rounds = 30;
  o->ranker.threads = 1;
}

TEST(EvaluateEndToEnd, RankerTrainedOnValidationFeedsServesTheTest) {
  const std::filesystem::path config = Temp("plain.toml");
  std::ofstream(config) << "";
  EvaluateOptions o = ClusteredLogOptions(config);
  TrainSmallRanker(&o);
  absl::StatusOr<EvaluationResult> r = Evaluate(o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->ranker.has_value());
  const RankerValidationResult& k = *r->ranker;
  EXPECT_EQ(k.validation_users, 120);
  EXPECT_EQ(k.outcomes, 120);  // one validation item each
  EXPECT_GE(k.join.exposures, 110);
  // Feeds of 20 out of 35 unseen items hold most users' validation item.
  EXPECT_GT(k.join.requests, 60);
  EXPECT_EQ(k.join.positive_examples, k.join.requests);
  EXPECT_EQ(k.join.examples, 20 * k.join.requests);
  EXPECT_EQ(k.report.model_version.rfind("m-", 0), 0u) << k.report.model_version;

  // The test users were served twice, the second time by the model, which
  // learned the user's taste from the validation labels.
  const SystemResult* weighted = Find(*r, "zhongcao");
  const SystemResult* ranker = Find(*r, "zhongcao_ranker");
  const SystemResult* pop = Find(*r, "popularity");
  ASSERT_NE(weighted, nullptr);
  ASSERT_NE(ranker, nullptr);
  ASSERT_NE(pop, nullptr);
  EXPECT_EQ(ranker->metrics[1].hit.n, 120);
  EXPECT_GT(ranker->metrics[1].hit.value, 0.5);
  EXPECT_GT(ranker->metrics[1].hit.value, pop->metrics[1].hit.value + 0.2);
  EXPECT_EQ(r->seen_items_served, 0);
  EXPECT_NE(FormatTable(*r).find("LambdaMART on"), std::string::npos);

  // It cannot be scored on the items it learned from.
  o.validation = true;
  EXPECT_EQ(Evaluate(o).status().code(), absl::StatusCode::kInvalidArgument);
}

// Two waves ten days apart: 60 users buy five of items a0..a9 on day 0,
// 60 others five of b0..b9 on day 10. Scored by trend alone, a user's feed
// holds their wave's items only when the server has not yet seen the later
// wave when asked, i.e. when the events are replayed in time order.
std::filesystem::path WriteWavesLog() {
  const std::filesystem::path path = Temp("waves.csv");
  std::ofstream out(path);
  out << "user,item,ts\n";
  std::mt19937 rng(11);
  constexpr int64_t kDay = 86'400'000;
  for (int wave = 0; wave < 2; ++wave) {
    for (int u = 0; u < 60; ++u) {
      std::vector<int> items(10);
      for (int i = 0; i < 10; ++i) items[static_cast<size_t>(i)] = i;
      std::shuffle(items.begin(), items.end(), rng);
      for (int j = 0; j < 5; ++j) {
        out << (wave == 0 ? "early" : "late") << u << "," << (wave == 0 ? "a" : "b")
            << items[static_cast<size_t>(j)] << ","
            << 1'700'000'000'000LL + wave * 10 * kDay + (u * 5 + j) * 60'000LL << "\n";
      }
    }
  }
  return path;
}

// Scores by trend alone, over the waves log.
EvaluateOptions WavesOptions(const std::filesystem::path& config) {
  EvaluateOptions o;
  o.input.log = WriteWavesLog().string();
  o.input.columns = "user=user,item=item,timestamp=ts";
  o.input.protocol = "loo";
  o.ks = {10};
  o.factors = 8;
  o.server_binary = ZHONGCAO_SERVER_BINARY;
  o.config_file = config.string();
  o.server_args = {"--trending_tau_hours=24"};
  o.settings = {{"budgets.source_deadline_ms", 2000},
                {"budgets.ann_user", 0},
                {"budgets.ann_session", 0},
                {"budgets.covisit", 0},
                {"budgets.fresh", 0},
                {"budgets.recent", 0},
                {"weights.similarity", 0},
                {"weights.session_similarity", 0},
                {"weights.covisit", 0},
                {"weights.trend", 10},
                {"rerank.mmr_lambda", 1}};
  o.client_threads = 2;
  o.bootstrap_samples = 20;
  return o;
}

TEST(EvaluateEndToEnd, ReplayInTimeOrderShowsTheServerNoFuture) {
  const std::filesystem::path config = Temp("waves.toml");
  std::ofstream(config) << "";
  EvaluateOptions o = WavesOptions(config);
  o.replay_in_time = true;
  absl::StatusOr<EvaluationResult> in_time = Evaluate(o);
  ASSERT_TRUE(in_time.ok()) << in_time.status();
  EXPECT_EQ(in_time->load.events, 0);  // all of them went through RecordEvents
  EXPECT_EQ(in_time->seen_items_served, 0);
  const SystemResult* replayed = Find(*in_time, "zhongcao");
  ASSERT_NE(replayed, nullptr);
  EXPECT_EQ(replayed->metrics[0].hit.n, 120);
  // Each user's seven unseen items of their wave lead the feed.
  EXPECT_GT(replayed->metrics[0].hit.value, 0.9);

  // Loaded all at once, the later wave trends at every time, early users too.
  o.replay_in_time = false;
  absl::StatusOr<EvaluationResult> preloaded = Evaluate(o);
  ASSERT_TRUE(preloaded.ok()) << preloaded.status();
  const SystemResult* loaded = Find(*preloaded, "zhongcao");
  ASSERT_NE(loaded, nullptr);
  EXPECT_LT(loaded->metrics[0].hit.value, 0.7);
}

// With a learned ranker the test is served twice, and both passes, like the
// ranker's validation feeds, must be kept from the future: the second one
// on a fresh server that the events are replayed to again.
TEST(EvaluateEndToEnd, RankerRunReplaysEveryPassInTimeOrder) {
  const std::filesystem::path config = Temp("waves-ranker.toml");
  std::ofstream(config) << "";
  EvaluateOptions o = WavesOptions(config);
  o.replay_in_time = true;
  TrainSmallRanker(&o);
  absl::StatusOr<EvaluationResult> r = Evaluate(o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->ranker.has_value());
  EXPECT_EQ(r->load.events, 0);
  EXPECT_EQ(r->seen_items_served, 0);
  // Validation feeds served in time order hold each user's wave, and with
  // it their validation item.
  EXPECT_GT(r->ranker->join.requests, 100);
  const SystemResult* weighted = Find(*r, "zhongcao");
  const SystemResult* ranker = Find(*r, "zhongcao_ranker");
  ASSERT_NE(weighted, nullptr);
  ASSERT_NE(ranker, nullptr);
  EXPECT_GT(weighted->metrics[0].hit.value, 0.9);
  EXPECT_EQ(ranker->metrics[0].hit.n, 120);
  // An early user, asked before the later wave, has only their own wave's
  // six unseen items to be served, a short list, in both passes. A second
  // pass over the first server, which has seen the later wave, would fill
  // their lists with its items.
  EXPECT_EQ(r->short_responses, 2 * 60);
}

TEST(EvaluateEndToEnd, MissingServerBinaryIsAClearError) {
  EvaluateOptions o;
  o.input.log = WriteClusteredLog().string();
  o.input.columns = "user=user,item=item,timestamp=ts";
  o.factors = 8;
  o.server_binary = "/nonexistent/zhongcao_server";
  absl::StatusOr<EvaluationResult> r = Evaluate(o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("--server_binary"), std::string::npos);
}

TEST(EvaluateEndToEnd, AmazonBeautySliceLiftsOverPopularity) {
  const std::filesystem::path data = ZHONGCAO_SHARED_DATA_DIR;
  if (!std::filesystem::exists(data / "amazon_beauty" / "Beauty.txt")) {
    GTEST_SKIP() << "no " << (data / "amazon_beauty").string()
                 << ": the shared datasets are not beside this checkout";
  }
  EvaluateOptions o;
  o.input.dataset = "amazon_beauty";
  o.input.data_dir = data.string();
  // The whole catalog trains (a slice of the lines trains too weak a
  // model to say anything), and a seeded 1,000 of the 22,363 test users
  // are asked for: that keeps the test to well under a minute.
  o.max_users = 1000;
  o.server_binary = ZHONGCAO_SERVER_BINARY;
  o.settings = {{"budgets.source_deadline_ms", 2000}};
  o.client_threads = 2;
  o.bootstrap_samples = 50;
  absl::StatusOr<EvaluationResult> r = Evaluate(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->evaluated_users, 1000);
  const SystemResult* ours = Find(*r, "zhongcao");
  const SystemResult* pop = Find(*r, "popularity");
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(pop, nullptr);
  const MetricsAt& a = ours->metrics.back();  // K = 20
  const MetricsAt& p = pop->metrics.back();
  ASSERT_EQ(a.k, 20);
  // A clear lift: twice popularity's recall@20, and above it beyond the
  // interval.
  EXPECT_GT(a.recall.value, 2 * p.recall.value)
      << "zhongcao " << a.recall.value << " popularity " << p.recall.value;
  EXPECT_GT(a.recall.low, p.recall.value);
}

}  // namespace
}  // namespace zhongcao::evaluate
