// Unit tests of the feed's filters and scorer, on hand-made candidates.
#include <cmath>
#include <map>

#include "gtest/gtest.h"
#include "ranking/filter/filters.h"
#include "ranking/scorer/score_contributions.h"
#include "ranking/scorer/weighted_scorer.h"
#include "tests/unit/kept_vector.h"

namespace zhongcao::ranking {
namespace {

Candidate Make(v1::ItemKind kind) {
  Candidate c;
  c.item_id = "i1";
  c.item = std::make_shared<v1::Item>();
  MutableItem(&c)->set_id("i1");
  MutableItem(&c)->set_kind(kind);
  MutableItem(&c)->set_creator_id("c1");
  if (kind == v1::ITEM_KIND_PRODUCT) MutableItem(&c)->mutable_product()->set_stock(3);
  return c;
}

TEST(Filters, Seen_DropsItemsInHistoryOnly) {
  FeedContext context;
  context.seen.insert("i1");
  Candidate seen = Make(v1::ITEM_KIND_NOTE);
  Candidate other = Make(v1::ITEM_KIND_NOTE);
  other.item_id = "i2";
  EXPECT_FALSE(SeenFilter().Keep(seen, context));
  EXPECT_TRUE(SeenFilter().Keep(other, context));
}

TEST(Filters, Served_DropsItemsOfEarlierPages) {
  FeedContext context;
  context.served.insert(ServedHash("i1"));
  EXPECT_FALSE(ServedFilter().Keep(Make(v1::ITEM_KIND_NOTE), context));
  context.served.clear();
  EXPECT_TRUE(ServedFilter().Keep(Make(v1::ITEM_KIND_NOTE), context));
}

TEST(Filters, Region_EmptyRegionsMeanEverywhere) {
  FeedContext context;
  context.region = "shanghai";
  Candidate everywhere = Make(v1::ITEM_KIND_NOTE);
  Candidate beijing = Make(v1::ITEM_KIND_NOTE);
  MutableItem(&beijing)->add_regions("beijing");
  Candidate both = Make(v1::ITEM_KIND_NOTE);
  MutableItem(&both)->add_regions("beijing");
  MutableItem(&both)->add_regions("shanghai");
  EXPECT_TRUE(RegionFilter().Keep(everywhere, context));
  EXPECT_FALSE(RegionFilter().Keep(beijing, context));
  EXPECT_TRUE(RegionFilter().Keep(both, context));
}

TEST(Filters, Availability_DropsOutOfStockProductsAndTakenDownItems) {
  FeedContext context;
  Candidate product = Make(v1::ITEM_KIND_PRODUCT);
  EXPECT_TRUE(AvailabilityFilter().Keep(product, context));
  MutableItem(&product)->mutable_product()->set_stock(0);
  EXPECT_FALSE(AvailabilityFilter().Keep(product, context));
  Candidate note = Make(v1::ITEM_KIND_NOTE);
  EXPECT_TRUE(AvailabilityFilter().Keep(note, context));
  MutableItem(&note)->set_unavailable(true);
  EXPECT_FALSE(AvailabilityFilter().Keep(note, context));
}

TEST(Filters, KindAndBlockedCreator) {
  FeedContext context;
  context.kind_mask = 1u << v1::ITEM_KIND_VIDEO;
  EXPECT_FALSE(KindFilter().Keep(Make(v1::ITEM_KIND_NOTE), context));
  EXPECT_TRUE(KindFilter().Keep(Make(v1::ITEM_KIND_VIDEO), context));
  context.blocked.insert("c1");
  EXPECT_FALSE(BlockedCreatorFilter().Keep(Make(v1::ITEM_KIND_NOTE), context));
}

ScoringWeights Only(float ScoringWeights::*field, float value) {
  ScoringWeights w;
  for (float ScoringWeights::*f :
       {&ScoringWeights::similarity, &ScoringWeights::session_similarity,
        &ScoringWeights::engagement, &ScoringWeights::purchase,
        &ScoringWeights::freshness, &ScoringWeights::following,
        &ScoringWeights::creator_trust, &ScoringWeights::price_fit}) {
    w.*f = 0;
  }
  w.*field = value;
  return w;
}

TEST(WeightedScorer, ScoreIsTheSumOfItsNamedContributions) {
  FeedContext context;
  context.now_ms = 1'000'000'000;
  context.user_vector = {1, 0};
  context.session_vector = {0, 1};
  context.following.insert("c1");
  std::vector<Candidate> candidates{Make(v1::ITEM_KIND_NOTE)};
  candidates[0].embedding = testing::KeptVector({0.6f, 0.8f});
  MutableItem(&candidates[0])->set_created_at_ms(context.now_ms);  // brand new
  MutableCounters(&candidates[0])->set_clicks(100);
  MutableCounters(&candidates[0])->set_impressions(180);
  ScoringWeights weights;
  weights.freshness = 0.2f;
  weights.following = 0.3f;
  WeightedScorer().Score(context, weights, &candidates);
  const Candidate& c = candidates[0];
  float sum = 0;
  std::map<std::string, float> parts;
  for (const auto& [name, part] : ScoreContributions(c, weights)) {
    sum += part;
    parts[name] = part;
  }
  EXPECT_FLOAT_EQ(c.score, sum);
  EXPECT_FLOAT_EQ(parts["similarity"], weights.similarity * 0.6f);
  EXPECT_FLOAT_EQ(parts["session_similarity"], weights.session_similarity * 0.8f);
  EXPECT_FLOAT_EQ(parts["freshness"], 0.2f);
  EXPECT_FLOAT_EQ(parts["following"], 0.3f);
  EXPECT_FLOAT_EQ(parts["creator_trust"],
                  weights.creator_trust * 0.2f);  // unknown creator
  const double volume = std::log1p(100.0) / std::log1p(10000.0);
  const double rate = 100.0 / (180 + 20);
  EXPECT_NEAR(parts["engagement"], weights.engagement * (0.5 * volume + 0.5 * rate),
              1e-6);
  EXPECT_EQ(parts.count("purchase"), 0u);  // not a product, links nothing
}

TEST(SortByScore, BestFirstTiesByItemIdAndEveryCandidateKept) {
  std::vector<Candidate> list;
  for (auto [id, score] : std::vector<std::pair<std::string, float>>{
           {"d", 1}, {"b", 2}, {"c", 1}, {"a", 3}, {"e", 2}}) {
    Candidate c = Make(v1::ITEM_KIND_NOTE);
    c.item_id = id;
    c.score = score;
    c.sources = {"src-" + id};
    list.push_back(std::move(c));
  }
  SortByScore(&list);
  std::vector<std::string> ids;
  for (const Candidate& c : list) {
    ids.push_back(c.item_id);
    ASSERT_EQ(c.sources.size(), 1u);
    EXPECT_EQ(c.sources[0], "src-" + c.item_id);  // moved whole, not mixed
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "e", "c", "d"}));
}

TEST(WeightedScorer, MoreEngagementAndNewerItemsScoreHigher) {
  FeedContext context;
  context.now_ms = 100LL * 3600 * 1000;
  std::vector<Candidate> candidates{Make(v1::ITEM_KIND_NOTE), Make(v1::ITEM_KIND_NOTE),
                                    Make(v1::ITEM_KIND_NOTE)};
  MutableItem(&candidates[0])->set_created_at_ms(context.now_ms);
  MutableItem(&candidates[1])->set_created_at_ms(context.now_ms - 48LL * 3600 * 1000);
  MutableItem(&candidates[2])->set_created_at_ms(context.now_ms - 48LL * 3600 * 1000);
  MutableCounters(&candidates[2])->set_likes(50);
  WeightedScorer().Score(context, ScoringWeights{}, &candidates);
  EXPECT_GT(candidates[0].score, candidates[1].score);  // half-life 48 h
  EXPECT_GT(candidates[2].score, candidates[1].score);
}

TEST(WeightedScorer, PurchaseSignalAndShoppableContent) {
  FeedContext context;
  std::vector<Candidate> candidates{Make(v1::ITEM_KIND_PRODUCT), Make(v1::ITEM_KIND_NOTE),
                                    Make(v1::ITEM_KIND_NOTE)};
  MutableCounters(&candidates[0])->set_purchases(30);
  candidates[1].linked_in_stock = 1;
  candidates[1].linked_purchase_signal = 0.8f;
  WeightedScorer().Score(context, Only(&ScoringWeights::purchase, 1), &candidates);
  EXPECT_FLOAT_EQ(candidates[0].score,
                  static_cast<float>(std::log1p(300.0) / std::log1p(10000.0)));
  EXPECT_FLOAT_EQ(candidates[1].score, 0.4f);  // half of its best linked product
  EXPECT_FLOAT_EQ(candidates[2].score, 0.0f);
}

TEST(WeightedScorer, CreatorTrustPrefersKocsAndPriceFitPeaksAtTypicalPrice) {
  FeedContext context;
  context.typical_price_cents = 10000;
  v1::Creator koc, brand;
  koc.set_tier(v1::CREATOR_TIER_KOC);
  brand.set_tier(v1::CREATOR_TIER_BRAND);
  std::vector<Candidate> trust{Make(v1::ITEM_KIND_NOTE), Make(v1::ITEM_KIND_NOTE)};
  trust[0].creator = &koc;
  trust[1].creator = &brand;
  WeightedScorer().Score(context, Only(&ScoringWeights::creator_trust, 1), &trust);
  EXPECT_GT(trust[0].score, trust[1].score);

  std::vector<Candidate> prices{Make(v1::ITEM_KIND_PRODUCT), Make(v1::ITEM_KIND_PRODUCT),
                                Make(v1::ITEM_KIND_PRODUCT)};
  MutableItem(&prices[0])->mutable_product()->set_price_cents(10000);
  MutableItem(&prices[1])->mutable_product()->set_price_cents(20000);
  MutableItem(&prices[2])->mutable_product()->set_price_cents(100000);
  WeightedScorer().Score(context, Only(&ScoringWeights::price_fit, 1), &prices);
  EXPECT_FLOAT_EQ(prices[0].score, 1.0f);
  EXPECT_FLOAT_EQ(prices[1].score, 0.5f);
  EXPECT_GT(prices[1].score, prices[2].score);
}

TEST(Filters, Shoppable_OnlyOnShoppingSurfaces) {
  FeedContext context;
  Candidate bare = Make(v1::ITEM_KIND_NOTE);
  Candidate shoppable = Make(v1::ITEM_KIND_NOTE);
  shoppable.linked_in_stock = 2;
  context.surface = v1::SURFACE_HOME;
  EXPECT_TRUE(ShoppableFilter().Keep(bare, context));
  context.surface = v1::SURFACE_SHOP;
  EXPECT_FALSE(ShoppableFilter().Keep(bare, context));
  EXPECT_TRUE(ShoppableFilter().Keep(shoppable, context));
  EXPECT_TRUE(ShoppableFilter().Keep(Make(v1::ITEM_KIND_PRODUCT), context));
}

}  // namespace
}  // namespace zhongcao::ranking
