// The learned ranker round-trips: examples are read and grouped, a model is
// trained, saved, loaded as the server loads it and scores candidates; a
// model of another feature list is refused; the scorer switch follows the
// "scorer.learned" setting.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ranking/feed_settings.h"
#include "ranking/scorer/learned_scorer.h"
#include "ranking/scorer/ranker_model.h"
#include "ranking/scorer/ranking_features.h"
#include "ranking/scorer/score_contributions.h"
#include "ranking/scorer/weighted_scorer.h"
#include "tests/unit/kept_vector.h"
#include "tools/rank_train/exposure_examples.h"
#include "tools/rank_train/ranker_trainer.h"
#include "tools/rank_train/ranking_examples.h"
#include "xgboost/c_api.h"

namespace zhongcao {
namespace {

namespace fs = std::filesystem;
using ranking::Candidate;
using ranking::FeedContext;
using ranking::RankerModel;
using ranking::RankingFeatureNames;
using ::testing::HasSubstr;

int FeatureIndex(const std::string& name) {
  const auto& names = RankingFeatureNames();
  return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string TempPath(const std::string& name) {
  return (fs::path(::testing::TempDir()) /
          ("zhongcao_ranker_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// A small model whose label follows `signal` alone.
rank_train::RankerTrainReport TrainOn(const std::string& signal, const std::string& path,
                                      uint64_t seed = 7) {
  absl::StatusOr<rank_train::RankingDataset> data =
      rank_train::BuildRankingDataset(rank_train::SyntheticRankingExamples(
          /*groups=*/400, /*per_group=*/20, FeatureIndex(signal), /*noise=*/0, seed));
  EXPECT_TRUE(data.ok()) << data.status();
  rank_train::RankerTrainOptions options;
  options.rounds = 40;
  options.seed = seed;
  options.threads = 1;  // the machine's cores belong to the other tests
  options.label = "test";
  absl::StatusOr<rank_train::RankerTrainReport> report =
      rank_train::TrainRanker(*data, options, path);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.value_or(rank_train::RankerTrainReport{});
}

// Four notes: the most similar to the user is the least engaging. The
// engagement values fall in the synthetic labels' four bands (0.22, 0.67,
// 0.85, 1.0), so a model trained on engagement must order them by it, while
// the weighted sum, where similarity weighs most, orders them the other way.
std::vector<Candidate> Candidates(FeedContext* context) {
  context->now_ms = 1'000'000'000;
  context->user_vector = {1, 0};
  const int clicks[] = {5, 20, 600, 10000};
  const float similarity[] = {0.9f, 0.7f, 0.5f, 0.3f};
  std::vector<Candidate> candidates(4);
  for (int i = 0; i < 4; ++i) {
    Candidate& c = candidates[i];
    c.item_id = "i" + std::to_string(i);
    v1::Item* item = ranking::MutableItem(&c);
    item->set_id(c.item_id);
    item->set_kind(v1::ITEM_KIND_NOTE);
    item->set_created_at_ms(context->now_ms);
    c.embedding = testing::KeptVector(
        {similarity[i], std::sqrt(1 - similarity[i] * similarity[i])});
    ranking::MutableCounters(&c)->set_clicks(clicks[i]);
  }
  return candidates;
}

std::vector<std::string> OrderOf(std::vector<Candidate> candidates) {
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  std::vector<std::string> ids;
  for (const Candidate& c : candidates) ids.push_back(c.item_id);
  return ids;
}

// The named part of c's explanation; weights matter only to a weighted sum.
float Contribution(const Candidate& c, const std::string& name) {
  for (const auto& [n, v] : ranking::ScoreContributions(c, ranking::ScoringWeights())) {
    if (n == name) return v;
  }
  return std::nanf("");
}

// Rewrites the feature list a model file records, as a model trained by
// another build would carry.
void SetFeatureAttr(const std::string& path, const char* features) {
  BoosterHandle booster = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  ASSERT_EQ(XGBoosterLoadModel(booster, path.c_str()), 0);
  ASSERT_EQ(XGBoosterSetAttr(booster, ranking::kModelFeaturesAttr, features), 0);
  ASSERT_EQ(XGBoosterSaveModel(booster, path.c_str()), 0);
  XGBoosterFree(booster);
}

TEST(RankingFeatures, NamesVersionAndWeightsAreAligned) {
  EXPECT_EQ(static_cast<int>(RankingFeatureNames().size()),
            ranking::NumRankingFeatures());
  EXPECT_THAT(ranking::RankingFeatureVersion(), ::testing::StartsWith("r1-"));
  ranking::ScoringWeights w;
  w.freshness = 0.25f;
  const std::vector<float> weights = ranking::RankingFeatureWeights(w);
  ASSERT_EQ(weights.size(), RankingFeatureNames().size());
  EXPECT_FLOAT_EQ(weights[FeatureIndex("freshness")], 0.25f);
  EXPECT_FLOAT_EQ(weights[FeatureIndex("similarity")], w.similarity);
}

TEST(RankingFeatures, WeightedScoreIsTheWeightedSumOfTheFeatureVector) {
  FeedContext context;
  std::vector<Candidate> candidates = Candidates(&context);
  const ranking::ScoringWeights w;
  ranking::WeightedScorer().Score(context, w, &candidates);
  const std::vector<float> weights = ranking::RankingFeatureWeights(w);
  for (const Candidate& c : candidates) {
    std::vector<float> f(ranking::NumRankingFeatures());
    ranking::ComputeRankingFeatures(context, w, c, f);
    float sum = 0;
    for (size_t i = 0; i < f.size(); ++i) sum += weights[i] * f[i];
    EXPECT_FLOAT_EQ(c.score, sum) << c.item_id;
  }
}

TEST(RankingExamples, LabelsGradeOutcomes) {
  EXPECT_EQ(rank_train::RankingLabel(v1::EVENT_TYPE_PURCHASE), 3);
  EXPECT_EQ(rank_train::RankingLabel(v1::EVENT_TYPE_ADD_TO_CART), 2);
  EXPECT_EQ(rank_train::RankingLabel(v1::EVENT_TYPE_SAVE), 2);
  EXPECT_EQ(rank_train::RankingLabel(v1::EVENT_TYPE_CLICK), 1);
  EXPECT_EQ(rank_train::RankingLabel(v1::EVENT_TYPE_IMPRESSION), 0);
  const v1::EventType outcomes[] = {v1::EVENT_TYPE_IMPRESSION, v1::EVENT_TYPE_CLICK,
                                    v1::EVENT_TYPE_ADD_TO_CART};
  EXPECT_EQ(rank_train::RankingLabel(outcomes), 2);
  EXPECT_EQ(rank_train::RankingLabel(std::span<const v1::EventType>()), 0);
}

TEST(RankingExamples, ReadsJsonlAndGroupsRowsByRequest) {
  std::vector<rank_train::RankingExample> written;
  for (int i = 0; i < 5; ++i) {
    rank_train::RankingExample e;
    e.request_id = i % 2 == 0 ? "a" : "b";  // interleaved requests
    e.features.assign(ranking::NumRankingFeatures(), 0.1f * i);
    e.label = i % 4;
    written.push_back(e);
  }
  std::stringstream jsonl;
  for (const auto& e : written) jsonl << rank_train::RankingExampleJson(e) << "\n\n";
  absl::StatusOr<rank_train::RankingDataset> data =
      rank_train::ReadRankingExamples(jsonl, "x.jsonl");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->rows(), 5u);
  EXPECT_EQ(data->feature_names, RankingFeatureNames());
  EXPECT_EQ(data->group_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(data->group_sizes, (std::vector<uint32_t>{3, 2}));
  // Rows of "a" (examples 0, 2, 4) first, in their order.
  EXPECT_EQ(data->labels, (std::vector<float>{0, 2, 0, 1, 3}));
  EXPECT_FLOAT_EQ(data->features[1 * data->num_features()], 0.2f);
}

TEST(RankingExamples, BadLinesAreRefusedNamingLineAndField) {
  const std::string all = [] {
    std::string s;
    for (const auto& name : RankingFeatureNames()) {
      s += (s.empty() ? "" : ", ") + ("\"" + name + "\": 0.5");
    }
    return s;
  }();
  const auto read = [](const std::string& text) {
    std::stringstream in(text);
    return rank_train::ReadRankingExamples(in, "x.jsonl").status();
  };
  const std::string good =
      R"({"request_id": "r", "features": {)" + all + R"(}, "label": 1})";
  EXPECT_TRUE(read(good + "\n").ok());
  EXPECT_THAT(read(good + "\n{\"request_id\": \"r\"").message(),
              HasSubstr("x.jsonl:2: not a JSON object"));
  EXPECT_THAT(read(R"({"request_id": "r", "features": {)" + all +
                   R"(, "dwell_seconds": 1}, "label": 1})")
                  .message(),
              HasSubstr("x.jsonl:1: features.dwell_seconds: not a ranking feature"));
  EXPECT_THAT(
      read(R"({"request_id": "r", "features": {"similarity": 1}, "label": 1})").message(),
      HasSubstr("features.session_similarity: missing"));
  EXPECT_THAT(read(R"({"request_id": "r", "features": {)" + all + R"(}, "label": 1.5})")
                  .message(),
              HasSubstr("label: must be a whole number"));
  EXPECT_THAT(
      read(R"({"request_id": "r", "features": {)" + all + R"(}, "label": 40})").message(),
      HasSubstr("label: 40 is outside 0..31"));
  EXPECT_THAT(read(R"({"features": {)" + all + R"(}, "label": 1})").message(),
              HasSubstr("request_id: must be a string"));

  rank_train::RankingExample short_row;
  short_row.request_id = "r";
  short_row.features = {1};
  EXPECT_THAT(rank_train::BuildRankingDataset({short_row}).status().message(),
              HasSubstr("examples[0].features: 1 values"));
}

TEST(RankingExamples, ExposuresJoinOutcomesByRequestAndItem) {
  const auto& names = RankingFeatureNames();
  v1::Exposure exposure;
  exposure.set_request_id("r1");
  for (int i = 0; i < 3; ++i) {
    v1::ExposedItem* item = exposure.add_items();
    item->set_item_id("i" + std::to_string(i));
    for (size_t f = 0; f < names.size(); ++f) {
      (*item->mutable_features())[names[f]] = static_cast<float>(i * 10 + f);
    }
  }
  // Logged by a build with one feature fewer: not readable as ours.
  exposure.mutable_items(2)->mutable_features()->erase(names.back());
  rank_train::OutcomeLabels labels;
  auto add = [&](const std::string& request, const std::string& item,
                 v1::EventType type) {
    v1::Event e;
    e.set_request_id(request);
    e.set_item_id(item);
    e.set_type(type);
    labels.Add(e);
  };
  add("r1", "i1", v1::EVENT_TYPE_CLICK);
  add("r1", "i1", v1::EVENT_TYPE_ADD_TO_CART);
  add("r2", "i0", v1::EVENT_TYPE_PURCHASE);  // another request's outcome
  add("", "i0", v1::EVENT_TYPE_PURCHASE);    // names no request: not an outcome
  EXPECT_EQ(labels.outcomes(), 3);

  std::vector<rank_train::RankingExample> out;
  rank_train::ExampleJoinStats stats;
  rank_train::AppendExamples(exposure, labels, {}, &out, &stats);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].request_id, "r1");
  EXPECT_EQ(out[0].label, 0);
  EXPECT_EQ(out[1].label, 2);  // the stronger of click and add-to-cart
  EXPECT_EQ(out[1].features[1], 11.0f);
  EXPECT_EQ(stats.skipped_other_features, 1);
  EXPECT_EQ(stats.requests_with_outcome, 1);
  EXPECT_EQ(stats.positive_examples, 1);

  // A request without an outcome is left out when asked.
  exposure.set_request_id("r3");
  rank_train::ExampleJoinOptions only;
  only.requests_with_outcomes_only = true;
  rank_train::AppendExamples(exposure, labels, only, &out, &stats);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(stats.skipped_requests, 1);
  EXPECT_EQ(stats.exposures, 2);
}

TEST(RankerTrainer, NdcgOfAGroup) {
  const float labels[] = {0, 3, 1};
  const float best[] = {0, 2, 1};
  const float worst[] = {2, 0, 1};
  EXPECT_DOUBLE_EQ(rank_train::GroupNdcg(labels, best, 10), 1.0);
  // Ideal DCG: 7 + 1/log2(3); worst order puts 3 last: 0 + 1/log2(3) + 7/2.
  const double ideal = 7 + 1 / std::log2(3.0);
  EXPECT_NEAR(rank_train::GroupNdcg(labels, worst, 10),
              (1 / std::log2(3.0) + 3.5) / ideal, 1e-12);
  const float none[] = {0, 0, 0};
  EXPECT_EQ(rank_train::GroupNdcg(none, best, 10), 0);
}

TEST(LearnedRanker, RoundTripsTrainSaveLoadScore) {
  const std::string path = TempPath("engagement.json");
  const rank_train::RankerTrainReport report = TrainOn("engagement", path);
  EXPECT_GT(report.holdout_groups_judged, 0);
  // The label follows one feature, which the model finds and the fixed
  // weights do not single out.
  EXPECT_GT(report.model_ndcg, 0.95);
  EXPECT_GT(report.model_ndcg, report.weighted_ndcg + 0.1);

  absl::StatusOr<std::shared_ptr<const RankerModel>> model = RankerModel::Load(path);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->info().features, RankingFeatureNames());
  EXPECT_EQ((*model)->info().label, "test");
  EXPECT_EQ((*model)->info().objective, "rank:ndcg");
  EXPECT_EQ((*model)->info().trees, 40);
  EXPECT_EQ((*model)->info().version, report.model_version);

  FeedContext context;
  const ranking::ScoringWeights weights;
  std::vector<Candidate> learned = Candidates(&context);
  ranking::LearnedScorer(*model).Score(context, weights, &learned);
  EXPECT_EQ(OrderOf(learned), (std::vector<std::string>{"i3", "i2", "i1", "i0"}));
  for (const Candidate& c : learned) {
    EXPECT_FLOAT_EQ(Contribution(c, "model"), c.score);
    std::vector<float> f(ranking::NumRankingFeatures());
    ranking::ComputeRankingFeatures(context, weights, c, f);
    EXPECT_FLOAT_EQ(Contribution(c, "feature:engagement"), f[FeatureIndex("engagement")]);
    EXPECT_TRUE(std::isnan(Contribution(c, "engagement")));  // no weighted parts
  }
  std::vector<Candidate> weighted = Candidates(&context);
  ranking::WeightedScorer().Score(context, weights, &weighted);
  EXPECT_EQ(OrderOf(weighted), (std::vector<std::string>{"i0", "i1", "i2", "i3"}));
  fs::remove(path);
}

TEST(LearnedRanker, TrainingIsDeterministicForASeed) {
  const std::string a = TempPath("a.json");
  const std::string b = TempPath("b.json");
  const auto first = TrainOn("freshness", a, 11);
  const auto second = TrainOn("freshness", b, 11);
  EXPECT_EQ(first.model_version, second.model_version);
  EXPECT_DOUBLE_EQ(first.model_ndcg, second.model_ndcg);
  fs::remove(a);
  fs::remove(b);
}

TEST(LearnedRanker, AModelOfAnotherFeatureListIsRefused) {
  const std::string path = TempPath("other.json");
  TrainOn("engagement", path);
  SetFeatureAttr(path, "similarity,dwell_seconds");
  absl::StatusOr<std::shared_ptr<const RankerModel>> model = RankerModel::Load(path);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(model.status().message(),
              HasSubstr("trained on features [similarity,dwell_seconds]"));
  EXPECT_THAT(model.status().message(), HasSubstr("retrain"));
  fs::remove(path);
}

TEST(LearnedRanker, BadFilesAreRefusedWithTheirReason) {
  EXPECT_EQ(RankerModel::Load(TempPath("absent.json")).status().code(),
            absl::StatusCode::kNotFound);
  const std::string garbage = TempPath("garbage.json");
  std::ofstream(garbage) << "not a model";
  EXPECT_EQ(RankerModel::Load(garbage).status().code(), absl::StatusCode::kDataLoss);
  std::ofstream(garbage, std::ios::trunc).close();
  EXPECT_EQ(RankerModel::Load(garbage).status().code(), absl::StatusCode::kDataLoss);

  // An XGBoost model not written by zhongcao_rank_train: no feature list.
  const std::string plain = TempPath("plain.json");
  TrainOn("engagement", plain);
  BoosterHandle booster = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  ASSERT_EQ(XGBoosterLoadModel(booster, plain.c_str()), 0);
  ASSERT_EQ(XGBoosterSetAttr(booster, ranking::kModelFeaturesAttr, nullptr), 0);
  ASSERT_EQ(XGBoosterSaveModel(booster, plain.c_str()), 0);
  XGBoosterFree(booster);
  absl::Status no_list = RankerModel::Load(plain).status();
  EXPECT_EQ(no_list.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_list.message(), HasSubstr("no ranking feature list"));
  fs::remove(garbage);
  fs::remove(plain);
}

TEST(LearnedRanker, TheSlotKeepsItsModelWhenALoadFails) {
  const std::string path = TempPath("slot.json");
  TrainOn("engagement", path);
  ranking::RankerModelSlot slot;
  EXPECT_EQ(slot.Current(), nullptr);
  ASSERT_TRUE(slot.Load(path).ok());
  const std::shared_ptr<const RankerModel> loaded = slot.Current();
  ASSERT_NE(loaded, nullptr);
  EXPECT_FALSE(slot.Load(TempPath("absent.json")).ok());
  EXPECT_EQ(slot.Current(), loaded);
  fs::remove(path);
}

TEST(LearnedRanker, TheScorerSettingChoosesModelOrWeights) {
  const std::string path = TempPath("switch.json");
  TrainOn("engagement", path);
  ranking::RankerModelSlot slot;
  const ranking::ModelOrWeightedScorer scorer(slot);
  FeedContext context;
  ranking::FeedSettings settings;

  // No model: the weighted sum, whatever the setting.
  std::vector<Candidate> candidates = Candidates(&context);
  scorer.Score(context, settings.weights, &candidates);
  EXPECT_TRUE(std::isnan(Contribution(candidates[0], "model")));
  EXPECT_EQ(OrderOf(candidates), (std::vector<std::string>{"i0", "i1", "i2", "i3"}));

  ASSERT_TRUE(slot.Load(path).ok());
  candidates = Candidates(&context);
  scorer.Score(context, settings.weights, &candidates);
  EXPECT_FALSE(std::isnan(Contribution(candidates[0], "model")));
  EXPECT_EQ(OrderOf(candidates), (std::vector<std::string>{"i3", "i2", "i1", "i0"}));

  // An arm turns the model off by name.
  ASSERT_TRUE(ranking::SetFeedSetting("scorer.learned", 0, &settings).ok());
  candidates = Candidates(&context);
  scorer.Score(context, settings.weights, &candidates);
  EXPECT_TRUE(std::isnan(Contribution(candidates[0], "model")));
  EXPECT_EQ(OrderOf(candidates), (std::vector<std::string>{"i0", "i1", "i2", "i3"}));

  EXPECT_FALSE(ranking::SetFeedSetting("scorer.learned", 0.5, &settings).ok());
  EXPECT_FALSE(ranking::SetFeedSetting("scorer.learned", 2, &settings).ok());
  fs::remove(path);
}

// Request threads share one model while it is swapped underneath them: each
// scoring sees a whole model (the old one or the new one, both of one file
// here) and gives the same order.
TEST(LearnedRanker, ThreadsScoreWithASharedModelWhileItIsSwapped) {
  const std::string path = TempPath("shared.json");
  TrainOn("engagement", path);
  ranking::RankerModelSlot slot;
  ASSERT_TRUE(slot.Load(path).ok());
  const ranking::ModelOrWeightedScorer scorer(slot);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const ranking::ScoringWeights weights;
      for (int i = 0; i < 200; ++i) {
        FeedContext context;
        std::vector<Candidate> candidates = Candidates(&context);
        scorer.Score(context, weights, &candidates);
        if (OrderOf(candidates) != std::vector<std::string>{"i3", "i2", "i1", "i0"}) {
          ++wrong[t];
        }
      }
    });
  }
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(slot.Load(path).ok());
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  fs::remove(path);
}

}  // namespace
}  // namespace zhongcao
