// Unit tests of the feed's filters and scorer, on hand-made candidates.
#include "gtest/gtest.h"
#include "ranking/filter/filters.h"
#include "ranking/scorer/weighted_scorer.h"

namespace zhongcao::ranking {
namespace {

Candidate Make(v1::ItemKind kind) {
  Candidate c;
  c.item_id = "i1";
  c.item.emplace();
  c.item->set_id("i1");
  c.item->set_kind(kind);
  c.item->set_creator_id("c1");
  if (kind == v1::ITEM_KIND_PRODUCT) c.item->mutable_product()->set_stock(3);
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
  beijing.item->add_regions("beijing");
  Candidate both = Make(v1::ITEM_KIND_NOTE);
  both.item->add_regions("beijing");
  both.item->add_regions("shanghai");
  EXPECT_TRUE(RegionFilter().Keep(everywhere, context));
  EXPECT_FALSE(RegionFilter().Keep(beijing, context));
  EXPECT_TRUE(RegionFilter().Keep(both, context));
}

TEST(Filters, Availability_DropsOutOfStockProductsAndTakenDownItems) {
  FeedContext context;
  Candidate product = Make(v1::ITEM_KIND_PRODUCT);
  EXPECT_TRUE(AvailabilityFilter().Keep(product, context));
  product.item->mutable_product()->set_stock(0);
  EXPECT_FALSE(AvailabilityFilter().Keep(product, context));
  Candidate note = Make(v1::ITEM_KIND_NOTE);
  EXPECT_TRUE(AvailabilityFilter().Keep(note, context));
  note.item->set_unavailable(true);
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

TEST(WeightedScorer, ScoreIsTheSumOfItsNamedContributions) {
  FeedContext context;
  context.now_ms = 1'000'000'000;
  context.user_vector = {1, 0};
  context.following.insert("c1");
  std::vector<Candidate> candidates{Make(v1::ITEM_KIND_NOTE)};
  candidates[0].item->add_embedding(0.5f);
  candidates[0].item->add_embedding(0.5f);
  candidates[0].item->set_created_at_ms(context.now_ms);  // brand new
  candidates[0].counters.set_clicks(100);
  WeightedScorer({.similarity = 1, .engagement = 0.5, .freshness = 0.2, .following = 0.3})
      .Score(context, &candidates);
  const Candidate& c = candidates[0];
  float sum = 0;
  std::map<std::string, float> parts;
  for (const auto& [name, part] : c.contributions) {
    sum += part;
    parts[name] = part;
  }
  EXPECT_FLOAT_EQ(c.score, sum);
  EXPECT_FLOAT_EQ(parts["similarity"], 0.5f);
  EXPECT_FLOAT_EQ(parts["freshness"], 0.2f);
  EXPECT_FLOAT_EQ(parts["following"], 0.3f);
  EXPECT_NEAR(parts["engagement"], 0.5f * std::log1p(100.0) / std::log1p(10000.0), 1e-6);
}

TEST(WeightedScorer, MoreEngagementAndNewerItemsScoreHigher) {
  FeedContext context;
  context.now_ms = 100LL * 3600 * 1000;
  std::vector<Candidate> candidates{Make(v1::ITEM_KIND_NOTE), Make(v1::ITEM_KIND_NOTE),
                                    Make(v1::ITEM_KIND_NOTE)};
  candidates[0].item->set_created_at_ms(context.now_ms);
  candidates[1].item->set_created_at_ms(context.now_ms - 48LL * 3600 * 1000);
  candidates[2].item->set_created_at_ms(context.now_ms - 48LL * 3600 * 1000);
  candidates[2].counters.set_purchases(50);
  WeightedScorer(ScoringWeights{}).Score(context, &candidates);
  EXPECT_GT(candidates[0].score, candidates[1].score);  // half-life 48 h
  EXPECT_GT(candidates[2].score, candidates[1].score);
}

}  // namespace
}  // namespace zhongcao::ranking
