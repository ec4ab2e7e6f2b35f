// Tests of tools/train: dataset readers, splits, the feedback matrix, ALS
// (determinism, and beating popularity on a planted structure), metrics and
// the embedding files it writes.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/train/als.h"
#include "tools/train/category_columns.h"
#include "tools/train/dataset_readers.h"
#include "tools/train/datasets.h"
#include "tools/train/embeddings_output.h"
#include "tools/train/evaluation.h"
#include "tools/train/event_weights.h"
#include "tools/train/feedback_matrix.h"
#include "tools/train/metrics.h"
#include "tools/train/scorers.h"
#include "tools/train/split.h"
#include "tools/train/trainer.h"
#include "tools/vectors/vector_file.h"

namespace zhongcao::train {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<InteractionLog> Parse(LogFormat format, const std::string& text) {
  std::istringstream in(text);
  return ReadLog(format, in, "inline");
}

// ---- metrics ------------------------------------------------------------------

TEST(MetricsTest, HandComputed) {
  const std::vector<int32_t> ranked = {5, 3, 9, 1};
  const double l3 = 1 / std::log2(3.0), l4 = 1 / std::log2(4.0), l5 = 1 / std::log2(5.0);

  // One relevant item at rank 2: DCG 1/log2(3), ideal 1.
  RankingMetrics m = MetricsAtK(ranked, std::vector<int32_t>{3}, 2);
  EXPECT_DOUBLE_EQ(m.recall, 1);
  EXPECT_DOUBLE_EQ(m.hit, 1);
  EXPECT_DOUBLE_EQ(m.ndcg, l3);

  // Two relevant at ranks 3 and 4: DCG 1/log2(4) + 1/log2(5), ideal 1 + 1/log2(3).
  m = MetricsAtK(ranked, std::vector<int32_t>{1, 9}, 4);
  EXPECT_DOUBLE_EQ(m.recall, 1);
  EXPECT_DOUBLE_EQ(m.ndcg, (l4 + l5) / (1 + l3));
  m = MetricsAtK(ranked, std::vector<int32_t>{1, 9}, 2);
  EXPECT_DOUBLE_EQ(m.recall, 0);
  EXPECT_DOUBLE_EQ(m.ndcg, 0);
  EXPECT_DOUBLE_EQ(m.hit, 0);

  // Three relevant, K = 2, both slots hit: recall 2/3 but NDCG is perfect.
  m = MetricsAtK(ranked, std::vector<int32_t>{3, 5, 8}, 2);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.ndcg, 1);

  // A list shorter than K, and nothing relevant.
  m = MetricsAtK(std::vector<int32_t>{7}, std::vector<int32_t>{7}, 20);
  EXPECT_DOUBLE_EQ(m.ndcg, 1);
  m = MetricsAtK(ranked, std::vector<int32_t>{}, 20);
  EXPECT_DOUBLE_EQ(m.recall + m.ndcg + m.hit, 0);

  MetricsMean mean;
  mean.Add({1, 0.5, 1});
  mean.Add({0, 0, 0});
  EXPECT_EQ(mean.count(), 2);
  EXPECT_DOUBLE_EQ(mean.Mean().recall, 0.5);
  EXPECT_DOUBLE_EQ(mean.Mean().ndcg, 0.25);
}

TEST(MetricsTest, TopKMasksAndBreaksTiesByIndex) {
  const std::vector<float> scores = {0.5f, 0.9f, 0.5f, 0.1f, 0.9f, 0.7f};
  const std::vector<FeedbackMatrix::Entry> masked = {{1, 1}, {5, 1}};
  std::vector<int32_t> order, top;
  TopK(scores, masked, 3, order, top);
  EXPECT_THAT(top, ElementsAre(4, 0, 2));
  TopK(scores, {}, 10, order, top);
  EXPECT_THAT(top, ElementsAre(1, 4, 5, 0, 2, 3));
}

// ---- readers ------------------------------------------------------------------

TEST(ReadersTest, Taobao) {
  auto log = Parse(LogFormat::kTaobaoCsv,
                   "1,100,7,pv,1511544070\n1,101,7,cart,1511544071\n"
                   "2,100,7,buy,1511544072\n\n2,102,8,fav,1511544073\n");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events.size(), 4u);
  EXPECT_EQ(log->users.size(), 2);
  EXPECT_EQ(log->items.size(), 3);
  EXPECT_EQ(log->events[1].type, EventType::kAddToCart);
  EXPECT_EQ(log->events[2].type, EventType::kPurchase);
  EXPECT_EQ(log->events[3].type, EventType::kSave);
  EXPECT_EQ(log->events[3].timestamp, 1511544073);
  EXPECT_EQ(log->items.Name(log->events[3].item), "102");
  EXPECT_EQ(log->categories.Name(log->item_category[2]), "8");

  auto bad = Parse(LogFormat::kTaobaoCsv, "1,100,7,pv,1\n1,100,7,look,2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("inline:2: unknown behavior 'look'"));
  EXPECT_FALSE(Parse(LogFormat::kTaobaoCsv, "1,100,7,pv\n").ok());
  EXPECT_FALSE(Parse(LogFormat::kTaobaoCsv, "1,100,7,pv,x\n").ok());
}

TEST(ReadersTest, CiaoWithCrlfAndScientificNotation) {
  auto log = Parse(LogFormat::kCiaoRatings,
                   "         1.0000000e+000         2.0000000e+000         "
                   "1.0000000e+000         5.0000000e+000         2.0000000e+000  "
                   "       1.2988764e+009\r\n"
                   "  1.2000000e+001 3.0000000e+000 6.0000000e+000 4.0000000e+000 "
                   "0.0000000e+000 9.6000000e+008\r\n\r\n");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events.size(), 2u);
  EXPECT_EQ(log->users.Name(log->events[0].user), "1");
  EXPECT_EQ(log->items.Name(log->events[0].item), "2");
  EXPECT_EQ(log->users.Name(log->events[1].user), "12");
  EXPECT_EQ(log->events[0].type, EventType::kRating);
  EXPECT_EQ(log->events[0].value, 5);
  EXPECT_EQ(log->events[1].value, 4);
  EXPECT_EQ(log->events[0].timestamp, 1298876400);
  EXPECT_EQ(log->categories.Name(log->item_category[1]), "6");

  auto fractional = Parse(LogFormat::kCiaoRatings, "1 2 1 4.5 0 100\r\n");
  ASSERT_FALSE(fractional.ok());
  EXPECT_THAT(fractional.status().message(), HasSubstr("inline:1: column 4"));
  EXPECT_FALSE(Parse(LogFormat::kCiaoRatings, "1 2 1 9 0 100\n").ok());
  EXPECT_FALSE(Parse(LogFormat::kCiaoRatings, "1 2 1 4 0\n").ok());
}

TEST(ReadersTest, Sequences) {
  auto log = Parse(LogFormat::kSequences, "1 10 11 12\r\n2 11 13\n");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events.size(), 5u);
  EXPECT_EQ(log->items.Name(log->events[2].item), "12");
  EXPECT_EQ(log->events[2].timestamp, 2);
  EXPECT_EQ(log->events[4].timestamp, 1);
  EXPECT_EQ(log->item_category[0], InteractionLog::kNoCategory);
  EXPECT_FALSE(Parse(LogFormat::kSequences, "1 10\n2\n").ok());
}

TEST(ReadersTest, EventsCsv) {
  auto log = Parse(LogFormat::kEventsCsv,
                   "timestamp_ms,user_id,item_id,type,dwell_ms\n"
                   "1000,u1,n1,click,\n1001,u1,p2,EVENT_TYPE_PURCHASE,\n"
                   "1002,u2,n1,Add_To_Cart,\n");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->events.size(), 3u);
  EXPECT_EQ(log->events[0].type, EventType::kClick);
  EXPECT_EQ(log->events[1].type, EventType::kPurchase);
  EXPECT_EQ(log->events[2].type, EventType::kAddToCart);
  EXPECT_EQ(log->events[2].timestamp, 1002);
  EXPECT_EQ(log->users.Name(log->events[2].user), "u2");

  auto no_header = Parse(LogFormat::kEventsCsv, "u1,n1,click,1000\n");
  ASSERT_FALSE(no_header.ok());
  EXPECT_THAT(no_header.status().message(), HasSubstr("header"));
  auto bad_type =
      Parse(LogFormat::kEventsCsv, "user_id,item_id,type,timestamp_ms\nu1,n1,poke,1\n");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_THAT(bad_type.status().message(), HasSubstr("inline:2: unknown type 'poke'"));
}

TEST(ReadersTest, MaxLinesReadsAPrefix) {
  std::istringstream in("1 10 11\n2 12\n3 13\n");
  auto log = ReadLog(LogFormat::kSequences, in, "inline", ReadOptions{2});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->users.size(), 2);
}

TEST(EventWeightsTest, Overrides) {
  EventWeights w = EventWeights::Default();
  EXPECT_EQ(w[EventType::kImpression], 0);
  EXPECT_EQ(w[EventType::kPurchase], 5);
  ASSERT_TRUE(w.Override("purchase=8, EVENT_TYPE_CLICK=0.5").ok());
  EXPECT_EQ(w[EventType::kPurchase], 8);
  EXPECT_EQ(w[EventType::kClick], 0.5f);
  EXPECT_FALSE(w.Override("poke=1").ok());
  EXPECT_FALSE(w.Override("click=-1").ok());
  EXPECT_FALSE(w.Override("click").ok());
  EXPECT_THAT(w.ToString(), HasSubstr("add_to_cart=3,purchase=8"));
}

// ---- split and matrix ---------------------------------------------------------

TEST(SplitTest, HoldsOutTheLastEligibleItemWithAllItsEvents) {
  InteractionLog log;
  // u1: views a, buys a, views b, carts c, views d (latest). The last
  // buy/cart is c: the test. Then a (bought) is the validation, and its view
  // goes with it.
  log.Add("u1", "a", EventType::kClick, 1, 1);
  log.Add("u1", "a", EventType::kPurchase, 1, 2);
  log.Add("u1", "b", EventType::kClick, 1, 3);
  log.Add("u1", "c", EventType::kAddToCart, 1, 5);
  log.Add("u1", "c", EventType::kClick, 1, 4);
  log.Add("u1", "d", EventType::kClick, 1, 6);
  // u2 never buys: falls back to the last event of any kind (e, by input
  // order among equal times), and has nothing left to validate on.
  log.Add("u2", "d", EventType::kClick, 1, 7);
  log.Add("u2", "e", EventType::kClick, 1, 7);
  // u3 has one event: holding it out would leave nothing to train on.
  log.Add("u3", "a", EventType::kPurchase, 1, 1);

  const Split split = SplitByTime(log, FindDataset("taobao")->protocol);
  auto names = [&](const std::vector<Interaction>& events) {
    std::vector<std::string> out;
    for (const Interaction& e : events) {
      out.push_back(absl::StrCat(log.users.Name(e.user), ":", log.items.Name(e.item)));
    }
    return out;
  };
  EXPECT_THAT(names(split.test), ElementsAre("u1:c", "u2:e"));
  EXPECT_EQ(split.test[0].type, EventType::kAddToCart);
  EXPECT_THAT(names(split.validation), ElementsAre("u1:a"));
  EXPECT_EQ(split.validation[0].type, EventType::kPurchase);
  EXPECT_THAT(names(split.train), ElementsAre("u1:b", "u1:d", "u2:d", "u3:a"));
  EXPECT_THAT(names(split.train_with_validation),
              ElementsAre("u1:a", "u1:a", "u1:b", "u1:d", "u2:d", "u3:a"));
}

TEST(SplitTest, LastNItems) {
  InteractionLog log;
  for (int i = 0; i < 6; ++i) log.Add("u", absl::StrCat(i), EventType::kClick, 1, i);
  HoldOutProtocol protocol;
  protocol.eligible = [](const Interaction&) { return true; };
  protocol.test_items = 2;
  protocol.validation_items = 0;
  const Split split = SplitByTime(log, protocol);
  ASSERT_EQ(split.test.size(), 2u);
  EXPECT_EQ(log.items.Name(split.test[0].item), "5");
  EXPECT_EQ(log.items.Name(split.test[1].item), "4");
  EXPECT_EQ(split.train.size(), 4u);
  EXPECT_TRUE(split.validation.empty());
  const std::vector<UserTargets> targets = GroupByUser(split.test);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].items.size(), 2u);
  EXPECT_TRUE(std::is_sorted(targets[0].items.begin(), targets[0].items.end()));
}

TEST(FeedbackMatrixTest, SumsWeightsAndDropsZeroPairs) {
  InteractionLog log;
  log.Add("u1", "a", EventType::kClick, 1, 1);
  log.Add("u1", "a", EventType::kPurchase, 1, 2);
  log.Add("u1", "b", EventType::kImpression, 1, 3);  // weight 0: not feedback
  log.Add("u2", "b", EventType::kSave, 1, 4);
  log.Add("u2", "c", EventType::kImpression, 1, 4);
  const FeedbackMatrix m = FeedbackMatrix::Build(log.users.size(), log.items.size(),
                                                 log.events, EventWeights::Default());
  EXPECT_EQ(m.users(), 2);
  EXPECT_EQ(m.items(), 3);
  EXPECT_EQ(m.entries(), 2);
  ASSERT_EQ(m.UserRow(0).size(), 1u);
  EXPECT_EQ(m.UserRow(0)[0].index, 0);
  EXPECT_EQ(m.UserRow(0)[0].weight, 6);  // click 1 + purchase 5
  ASSERT_EQ(m.ItemColumn(1).size(), 1u);
  EXPECT_EQ(m.ItemColumn(1)[0].index, 1);
  EXPECT_EQ(m.ItemColumn(1)[0].weight, 2);
  EXPECT_TRUE(m.ItemColumn(2).empty());
}

TEST(CategoryColumnsTest, AddsAndFolds) {
  InteractionLog log;
  log.Add("u1", "a", EventType::kClick, 1, 1, "shoes");
  log.Add("u1", "b", EventType::kPurchase, 1, 2, "shoes");
  log.Add("u1", "c", EventType::kClick, 1, 3);
  const FeedbackMatrix items = FeedbackMatrix::Build(log.users.size(), log.items.size(),
                                                     log.events, EventWeights::Default());
  const FeedbackMatrix with =
      AddCategoryColumns(items, log.item_category, log.categories.size(), 0.5f);
  EXPECT_EQ(with.items(), 4);
  ASSERT_EQ(with.ItemColumn(3).size(), 1u);
  EXPECT_EQ(with.ItemColumn(3)[0].weight, 0.5f * (1 + 5));

  AlsModel model;
  model.users = FactorMatrix::Zero(1, 2);
  model.items = FactorMatrix(4, 2);
  model.items << 1, 0, 0, 1, 2, 2, 10, 20;
  FoldCategories(log.item_category, log.items.size(), 0.1f, model);
  ASSERT_EQ(model.items.rows(), 3);
  EXPECT_FLOAT_EQ(model.items(0, 0), 2);
  EXPECT_FLOAT_EQ(model.items(1, 1), 3);
  EXPECT_FLOAT_EQ(model.items(2, 0), 2);  // no category: unchanged
}

// ---- ALS ----------------------------------------------------------------------

// A deterministic log with planted structure: items and users belong to one
// of `clusters` tastes, items have a Zipf-like popularity, and a user's
// events come mostly from their own cluster, the rest from the popular items.
InteractionLog PlantedLog(int users, int items, int clusters, int events_per_user) {
  std::mt19937_64 rng(7);
  auto unit = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<double> popularity(static_cast<size_t>(items));
  for (int i = 0; i < items; ++i) popularity[i] = 1 / std::pow(i + 1.0, 0.8);
  // Sampling by weight over a subset, by inversion of the running sum.
  auto draw = [&](const std::vector<int>& pool) {
    double total = 0;
    for (int i : pool) total += popularity[i];
    double x = unit() * total;
    for (int i : pool) {
      if ((x -= popularity[i]) <= 0) return i;
    }
    return pool.back();
  };
  std::vector<std::vector<int>> by_cluster(static_cast<size_t>(clusters));
  std::vector<int> all;
  for (int i = 0; i < items; ++i) {
    by_cluster[(i * 7) % clusters].push_back(i);
    all.push_back(i);
  }
  InteractionLog log;
  int64_t t = 0;
  for (int u = 0; u < users; ++u) {
    const auto& own = by_cluster[u % clusters];
    for (int e = 0; e < events_per_user; ++e) {
      const int item = unit() < 0.85 ? draw(own) : draw(all);
      log.Add(absl::StrCat("u", u), absl::StrCat("i", item),
              unit() < 0.2 ? EventType::kPurchase : EventType::kClick, 1, ++t);
    }
  }
  return log;
}

bool BitwiseEqual(const FactorMatrix& a, const FactorMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

TEST(AlsTest, DeterministicForASeedWhateverTheThreads) {
  const InteractionLog log = PlantedLog(200, 150, 5, 15);
  const FeedbackMatrix m = FeedbackMatrix::Build(log.users.size(), log.items.size(),
                                                 log.events, EventWeights::Default());
  AlsOptions options;
  options.factors = 12;
  options.iterations = 4;
  options.threads = 1;
  auto one = TrainAls(m, options);
  auto again = TrainAls(m, options);
  options.threads = 2;
  auto two = TrainAls(m, options);
  options.threads = 3;
  auto three = TrainAls(m, options);
  ASSERT_TRUE(one.ok() && again.ok() && two.ok() && three.ok());
  EXPECT_TRUE(BitwiseEqual(one->users, again->users));
  EXPECT_TRUE(BitwiseEqual(one->items, again->items));
  EXPECT_TRUE(BitwiseEqual(one->users, two->users));
  EXPECT_TRUE(BitwiseEqual(one->items, two->items));
  EXPECT_TRUE(BitwiseEqual(one->items, three->items));
  EXPECT_TRUE(one->users.allFinite());

  options.seed = 43;
  auto other = TrainAls(m, options);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(BitwiseEqual(one->items, other->items));
}

// Items are solved last, so each item vector must satisfy its normal
// equations against the final user vectors, whichever way it was solved
// (items with few users take the Woodbury path, popular ones the direct one).
TEST(AlsTest, ItemVectorsSolveTheirNormalEquations) {
  const InteractionLog log = PlantedLog(300, 600, 6, 12);
  const FeedbackMatrix m = FeedbackMatrix::Build(log.users.size(), log.items.size(),
                                                 log.events, EventWeights::Default());
  AlsOptions options;
  options.factors = 32;
  options.iterations = 3;
  options.alpha = 4;
  options.regularization = 0.5f;
  auto model = TrainAls(m, options);
  ASSERT_TRUE(model.ok());
  const FactorMatrix& x = model->users;
  Eigen::MatrixXd gram = (x.transpose() * x).cast<double>();
  int few = 0, many = 0;
  for (int32_t i = 0; i < m.items(); ++i) {
    const auto column = m.ItemColumn(i);
    if (column.empty()) continue;
    (column.size() < 8 ? few : many)++;
    Eigen::MatrixXd a = gram;
    a.diagonal().array() += options.regularization;
    Eigen::VectorXd b = Eigen::VectorXd::Zero(options.factors);
    for (const auto& e : column) {
      const double c = 1 + options.alpha * e.weight;
      const Eigen::VectorXd xu = x.row(e.index).transpose().cast<double>();
      a += (c - 1) * xu * xu.transpose();
      b += c * xu;
    }
    const Eigen::VectorXd y = model->items.row(i).transpose().cast<double>();
    EXPECT_LT((a * y - b).norm(), 1e-3 * b.norm())
        << "item " << i << ", " << column.size() << " users";
  }
  EXPECT_GT(few, 10);
  EXPECT_GT(many, 10);
}

TEST(AlsTest, RejectsBadOptions) {
  const FeedbackMatrix m = FeedbackMatrix::FromTriplets(1, 1, {{0, 0, 1}});
  AlsOptions options;
  options.factors = 0;
  EXPECT_FALSE(TrainAls(m, options).ok());
  options = AlsOptions();
  options.regularization = 0;
  EXPECT_FALSE(TrainAls(m, options).ok());
  options = AlsOptions();
  options.iterations = 0;
  EXPECT_FALSE(TrainAls(m, options).ok());
}

TEST(AlsTest, BeatsPopularityOnPlantedTastes) {
  const InteractionLog log = PlantedLog(600, 400, 8, 20);
  HoldOutProtocol leave_one_out;
  leave_one_out.eligible = [](const Interaction&) { return true; };
  leave_one_out.validation_items = 0;
  const Split split = SplitByTime(log, leave_one_out);
  TrainSettings settings;
  settings.als.factors = 16;
  settings.als.iterations = 8;
  settings.als.regularization = 1;
  settings.als.alpha = 5;
  auto trained = Train(log, split.train, settings);
  ASSERT_TRUE(trained.ok()) << trained.status();
  const std::vector<UserTargets> targets = GroupByUser(split.test);
  const Evaluation als =
      Evaluate(AlsScorer(trained->model), trained->feedback, targets, {20}, 2);
  const Evaluation pop =
      Evaluate(PopularityScorer(trained->feedback), trained->feedback, targets, {20}, 2);
  EXPECT_EQ(als.users, 600);
  const double a = als.At(20).recall, p = pop.At(20).recall;
  RecordProperty("als_recall_at_20", std::to_string(a));
  RecordProperty("popularity_recall_at_20", std::to_string(p));
  std::printf(
      "planted tastes: recall@20 ALS %.3f, popularity %.3f; NDCG@20 %.3f vs %.3f\n", a, p,
      als.At(20).ndcg, pop.At(20).ndcg);
  EXPECT_GT(a, 1.5 * p);
  EXPECT_GT(a - p, 0.1);
  EXPECT_GT(als.At(20).ndcg, 1.5 * pop.At(20).ndcg);

  // The evaluation does not depend on its thread count either.
  const Evaluation als1 =
      Evaluate(AlsScorer(trained->model), trained->feedback, targets, {20}, 1);
  EXPECT_EQ(als1.At(20).ndcg, als.At(20).ndcg);
}

// ---- output -------------------------------------------------------------------

TEST(EmbeddingsOutputTest, WritesImportableFilesWithoutZeroRows) {
  InteractionLog log;
  log.Add("u1", "a", EventType::kClick, 1, 1);
  log.Add("u2", "b", EventType::kClick, 1, 1);
  log.Add("u3", "c", EventType::kImpression, 1, 1);
  AlsModel model;
  model.users = FactorMatrix(3, 2);
  model.users << 1, 2, 3, 4, 0, 0;
  model.items = FactorMatrix(3, 2);
  model.items << 0, 0, 5, 6, 7, 8;
  const fs::path dir =
      fs::temp_directory_path() / absl::StrCat("zhongcao_train_test_", ::getpid());
  fs::remove_all(dir);
  auto counts = WriteEmbeddings(dir / "emb", log, model);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->items, 2);
  auto items = tools::ReadVectorSet(dir / "emb/items.npy", dir / "emb/items.ids");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(items->ids, ElementsAre("b", "c"));
  EXPECT_THAT(items->values, ElementsAre(5, 6, 7, 8));
  auto users = tools::ReadVectorSet(dir / "emb/users.npy", dir / "emb/users.ids");
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_THAT(users->ids, ElementsAre("u1", "u2"));
  fs::remove_all(dir);
}

// ---- the shared datasets, when present ----------------------------------------

#ifndef ZHONGCAO_SHARED_DATA_DIR
#define ZHONGCAO_SHARED_DATA_DIR ""
#endif

fs::path SharedData() {
  if (const char* env = std::getenv("ZHONGCAO_SHARED_DATA")) return env;
  return ZHONGCAO_SHARED_DATA_DIR;
}

TEST(SharedDataTest, ReadsSlicesOfTheRealDatasets) {
  const fs::path dir = SharedData();
  if (dir.empty() || !fs::exists(dir / "README.md")) {
    GTEST_SKIP() << "no shared datasets at '" << dir.string()
                 << "' (../shared/data beside the source tree, or $ZHONGCAO_SHARED_DATA)";
  }
  for (const std::string name : {"taobao", "ciao", "amazon_beauty"}) {
    auto spec = FindDataset(name);
    ASSERT_TRUE(spec.ok());
    auto log = ReadLogFile(spec->format, dir / spec->file, ReadOptions{3000});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_GT(log->events.size(), 2000u) << name;
    EXPECT_GT(log->items.size(), 100) << name;
    const Split split = SplitByTime(*log, spec->protocol);
    EXPECT_GT(split.test.size(), 10u) << name;
    EXPECT_FALSE(split.train.empty()) << name;
  }
  // Ciao's numbers are all integral and its ratings in 1..5, over the whole file.
  auto ciao = ReadLogFile(LogFormat::kCiaoRatings, dir / "ciao/rating.txt");
  ASSERT_TRUE(ciao.ok()) << ciao.status();
  EXPECT_EQ(ciao->events.size(), 36065u);
  EXPECT_EQ(ciao->users.size(), 2248);
  EXPECT_EQ(ciao->categories.size(), 6);
}

}  // namespace
}  // namespace zhongcao::train
