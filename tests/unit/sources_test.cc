// Unit tests of the session vector and of the "ann:session", "trending",
// "recent", "fresh" and "campaign" sources, on a real FeatureStore and VectorIndex in
// a temporary directory (dimension 4).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/vector_index.h"
#include "ranking/id_hash.h"
#include "ranking/session_vector.h"
#include "ranking/source/ann_source.h"
#include "ranking/source/campaign_source.h"
#include "ranking/source/fresh_source.h"
#include "ranking/source/recent_source.h"
#include "ranking/source/trending_source.h"
#include "store/feature_store.h"

namespace zhongcao::ranking {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr int kDim = 4;
constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kNow = 1'700'000'000'000;

std::vector<float> Axis(int d) {
  std::vector<float> v(kDim, 0.0f);
  v[d] = 1.0f;
  return v;
}

v1::Item MakeItem(const std::string& id, std::vector<float> embedding,
                  int64_t created_at_ms = kNow - kHour,
                  std::vector<std::string> tags = {},
                  v1::ItemKind kind = v1::ITEM_KIND_NOTE) {
  v1::Item item;
  item.set_id(id);
  item.set_kind(kind);
  item.set_creator_id("c1");
  item.set_created_at_ms(created_at_ms);
  for (float x : embedding) item.add_embedding(x);
  for (const std::string& tag : tags) item.add_tags(tag);
  return item;
}

void AddEvent(store::UserHistory* history, const std::string& item, v1::EventType type,
              int64_t ts) {
  store::RecentEvent* event = history->add_events();
  event->set_item_id(item);
  event->set_type(type);
  event->set_timestamp_ms(ts);
}

std::vector<std::string> IdsOf(const std::vector<Candidate>& candidates) {
  std::vector<std::string> ids;
  for (const Candidate& c : candidates) ids.push_back(c.item_id);
  return ids;
}

v1::Event MakeEvent(const std::string& item, v1::EventType type, int64_t ts,
                    const std::string& region) {
  v1::Event event;
  event.set_user_id("someone");
  event.set_item_id(item);
  event.set_type(type);
  event.set_timestamp_ms(ts);
  event.set_region(region);
  return event;
}

// ---------------------------------------------------------------------------
// Session vector

// BuildSessionVector over the items' own embeddings, as the index holds them.
SessionVector SessionOf(const store::UserHistory& history,
                        const std::vector<v1::Item>& items, int64_t now_ms,
                        double half_life_minutes,
                        int max_events = std::numeric_limits<int>::max()) {
  std::vector<std::string> ids;
  std::vector<std::vector<float>> vectors;
  for (const v1::Item& item : items) {
    ids.push_back(item.id());
    vectors.emplace_back(item.embedding().begin(), item.embedding().end());
  }
  return BuildSessionVector(history, ids, vectors, now_ms, half_life_minutes, max_events);
}

TEST(SessionVector, PurchaseMovesItMoreThanClick) {
  const v1::Item a = MakeItem("a", Axis(0));
  const v1::Item b = MakeItem("b", Axis(1));
  store::UserHistory history;
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK, kNow);
  AddEvent(&history, "b", v1::EVENT_TYPE_PURCHASE, kNow);
  const SessionVector session = SessionOf(history, {b, a}, kNow, 60);
  ASSERT_EQ(session.vector.size(), static_cast<size_t>(kDim));
  const float norm = std::sqrt(1.0f + 64.0f);
  EXPECT_NEAR(session.vector[0], 1 / norm, 1e-6);
  EXPECT_NEAR(session.vector[1], 8 / norm, 1e-6);
  EXPECT_NEAR(session.vector[2], 0, 1e-6);
  EXPECT_THAT(session.items, ElementsAre(Pair("b", v1::EVENT_TYPE_PURCHASE),
                                         Pair("a", v1::EVENT_TYPE_CLICK)));
}

TEST(SessionVector, OlderEventsCountHalfPerHalfLife) {
  const v1::Item a = MakeItem("a", Axis(0));
  const v1::Item b = MakeItem("b", Axis(1));
  store::UserHistory history;
  AddEvent(&history, "a", v1::EVENT_TYPE_LIKE, kNow - 120 * kMinute);
  AddEvent(&history, "b", v1::EVENT_TYPE_LIKE, kNow);
  SessionVector session = SessionOf(history, {a, b}, kNow, 60);
  ASSERT_EQ(session.vector.size(), static_cast<size_t>(kDim));
  EXPECT_NEAR(session.vector[0] / session.vector[1], 0.25, 1e-6);
  // A longer half-life lets the older event keep more.
  session = SessionOf(history, {a, b}, kNow, 120);
  EXPECT_NEAR(session.vector[0] / session.vector[1], 0.5, 1e-6);
  // No half-life: no decay.
  session = SessionOf(history, {a, b}, kNow, 0);
  EXPECT_NEAR(session.vector[0] / session.vector[1], 1.0, 1e-6);
}

TEST(SessionVector, ItemsNewestFirstWithStrongestEventType) {
  const v1::Item a = MakeItem("a", Axis(0));
  const v1::Item b = MakeItem("b", Axis(1));
  const v1::Item c = MakeItem("c", Axis(2));
  store::UserHistory history;
  AddEvent(&history, "a", v1::EVENT_TYPE_ADD_TO_CART, kNow - 3);
  AddEvent(&history, "c", v1::EVENT_TYPE_IMPRESSION, kNow - 2);  // not a choice
  AddEvent(&history, "b", v1::EVENT_TYPE_LIKE, kNow - 1);
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK, kNow);
  const SessionVector session = SessionOf(history, {a, b, c}, kNow, 60);
  EXPECT_THAT(session.items, ElementsAre(Pair("a", v1::EVENT_TYPE_ADD_TO_CART),
                                         Pair("b", v1::EVENT_TYPE_LIKE)));
  EXPECT_NEAR(session.vector[2], 0, 1e-6);
  EXPECT_GT(session.vector[0], session.vector[1]);  // 5 + 1 against 2
}

TEST(SessionVector, EmptyWhenNothingContributes) {
  const v1::Item a = MakeItem("a", Axis(0));
  const v1::Item bare = MakeItem("bare", {});
  store::UserHistory history;
  // No history.
  SessionVector session = SessionOf(history, {a}, kNow, 60);
  EXPECT_THAT(session.vector, IsEmpty());
  EXPECT_THAT(session.items, IsEmpty());
  // Only impressions.
  AddEvent(&history, "a", v1::EVENT_TYPE_IMPRESSION, kNow);
  session = SessionOf(history, {a}, kNow, 60);
  EXPECT_THAT(session.vector, IsEmpty());
  EXPECT_THAT(session.items, IsEmpty());
  // Only items without an embedding, or unknown (deleted) ones.
  AddEvent(&history, "bare", v1::EVENT_TYPE_PURCHASE, kNow);
  AddEvent(&history, "gone", v1::EVENT_TYPE_PURCHASE, kNow);
  session = SessionOf(history, {bare}, kNow, 60);
  EXPECT_THAT(session.vector, IsEmpty());
  EXPECT_THAT(session.items, IsEmpty());
  // Opposite items with equal weight cancel: no direction.
  store::UserHistory opposite;
  AddEvent(&opposite, "a", v1::EVENT_TYPE_LIKE, kNow);
  AddEvent(&opposite, "minus-a", v1::EVENT_TYPE_LIKE, kNow);
  session = SessionOf(opposite, {a, MakeItem("minus-a", {-1, 0, 0, 0})}, kNow, 60);
  EXPECT_THAT(session.vector, IsEmpty());
}

TEST(SessionVector, OnlyTheNewestMaxEventsCount) {
  const v1::Item a = MakeItem("a", Axis(0));
  const v1::Item b = MakeItem("b", Axis(1));
  store::UserHistory history;
  AddEvent(&history, "a", v1::EVENT_TYPE_PURCHASE, kNow - 2);
  AddEvent(&history, "b", v1::EVENT_TYPE_CLICK, kNow - 1);
  AddEvent(&history, "b", v1::EVENT_TYPE_CLICK, kNow);
  const SessionVector session = SessionOf(history, {a, b}, kNow, 60, 2);
  ASSERT_EQ(session.vector.size(), static_cast<size_t>(kDim));
  EXPECT_NEAR(session.vector[0], 0, 1e-6);
  EXPECT_NEAR(session.vector[1], 1, 1e-6);
  EXPECT_THAT(session.items, ElementsAre(Pair("b", v1::EVENT_TYPE_CLICK)));
}

TEST(SessionItemIds, DistinctNewestFirstWithinTheWindow) {
  store::UserHistory history;
  AddEvent(&history, "x", v1::EVENT_TYPE_CLICK, 1);
  AddEvent(&history, "a", v1::EVENT_TYPE_CLICK, 2);
  AddEvent(&history, "b", v1::EVENT_TYPE_IMPRESSION, 3);
  AddEvent(&history, "a", v1::EVENT_TYPE_LIKE, 4);
  AddEvent(&history, "c", v1::EVENT_TYPE_CLICK, 5);
  EXPECT_THAT(SessionItemIds(history, 4), ElementsAre("c", "a", "b"));
  EXPECT_THAT(SessionItemIds(history, 100), ElementsAre("c", "a", "b", "x"));
  EXPECT_THAT(SessionItemIds(history, 1), ElementsAre("c"));
  EXPECT_THAT(SessionItemIds(history, 0), IsEmpty());
  EXPECT_THAT(SessionItemIds(store::UserHistory(), 10), IsEmpty());
}

// ---------------------------------------------------------------------------
// Sources on a real store and index

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("zhongcao_sources_test_") + info->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    store::StoreOptions options;
    options.dir = dir_;
    options.block_cache_bytes = 8 << 20;
    options.sync_writes = false;  // see store_test.cc
    absl::StatusOr<std::unique_ptr<store::FeatureStore>> store =
        store::FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    index::IndexOptions index_options;
    index_options.dim = kDim;
    index_options.factory = "Flat";
    absl::StatusOr<std::unique_ptr<index::VectorIndex>> created =
        index::VectorIndex::Create(index_options);
    ASSERT_TRUE(created.ok()) << created.status();
    index_ = *std::move(created);
    context_.item_index =
        std::make_shared<index::IndexVersion>(index::IndexVersion{"v000001", index_});
    context_.now_ms = kNow;
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes items to the store and, with their embeddings, to the index.
  void Add(const std::vector<v1::Item>& items,
           const std::vector<std::vector<std::string>>& regions = {}) {
    ASSERT_TRUE(store_->UpsertItems(items).ok());
    std::vector<index::IndexChange> changes;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].embedding_size() == 0) continue;
      index::IndexChange change;
      change.id = items[i].id();
      change.vector.assign(items[i].embedding().begin(), items[i].embedding().end());
      change.attributes.kind = static_cast<uint8_t>(items[i].kind());
      if (i < regions.size()) change.attributes.regions = regions[i];
      changes.push_back(std::move(change));
    }
    ASSERT_TRUE(index_->Apply(changes, ++watermark_).ok());
  }

  void Events(const std::vector<v1::Event>& events) {
    ASSERT_TRUE(store_->RecordEvents(events).ok());
  }

  std::vector<Candidate> Fetch(const CandidateSource& source, int budget) {
    absl::StatusOr<std::vector<Candidate>> candidates = source.Fetch(context_, budget);
    EXPECT_TRUE(candidates.ok()) << candidates.status();
    if (!candidates.ok()) return {};
    for (const Candidate& c : *candidates) {
      EXPECT_THAT(c.sources, ElementsAre(std::string(source.name())));
    }
    return *std::move(candidates);
  }

  fs::path dir_;
  std::unique_ptr<store::FeatureStore> store_;
  std::shared_ptr<index::VectorIndex> index_;
  uint64_t watermark_ = 0;
  FeedContext context_;
};

TEST_F(SourcesTest, AnnSession_NearestToTheSessionVectorWithFiltersInSearch) {
  Add({MakeItem("near", {0.9f, 0.1f, 0, 0}), MakeItem("nearer", {1, 0, 0, 0}),
       MakeItem("far", {0, 0, 1, 0}), MakeItem("seen", {1, 0, 0, 0}),
       MakeItem("elsewhere", {1, 0, 0, 0}),
       MakeItem("product", {1, 0, 0, 0}, kNow, {}, v1::ITEM_KIND_PRODUCT)},
      {{}, {}, {}, {}, {"bj"}, {}});
  const AnnSessionSource source;
  EXPECT_EQ(source.name(), "ann:session");
  // No session vector: nothing, even with a user vector.
  context_.user_vector = Axis(0);
  EXPECT_THAT(Fetch(source, 10), IsEmpty());

  context_.session_vector = Axis(0);
  context_.region = "sh";
  context_.seen.insert("seen");
  context_.kind_mask = 1u << v1::ITEM_KIND_NOTE;
  const std::vector<Candidate> found = Fetch(source, 2);
  ASSERT_THAT(IdsOf(found), ElementsAre("nearer", "near"));
  ASSERT_TRUE(found[0].retrieval_similarity.has_value());
  EXPECT_NEAR(*found[0].retrieval_similarity, 1.0f, 1e-6);
  // It searches with the session vector, not the user's.
  context_.session_vector = Axis(2);
  EXPECT_THAT(IdsOf(Fetch(source, 1)), ElementsAre("far"));
  // Served items are known by hash only: it asks for that many more.
  context_.served.insert(12345);
  EXPECT_EQ(Fetch(source, 1).size(), 2u);
  EXPECT_THAT(Fetch(source, 0), IsEmpty());
}

TEST_F(SourcesTest, Trending_RegionFirstThenGlobalWithoutDuplicates) {
  Add({MakeItem("sh-top", {}), MakeItem("sh-2", {}), MakeItem("bj-top", {}),
       MakeItem("anywhere", {})});
  Events({MakeEvent("sh-top", v1::EVENT_TYPE_CLICK, kNow, "sh"),
          MakeEvent("sh-2", v1::EVENT_TYPE_CLICK, kNow - 6 * kHour, "sh"),
          MakeEvent("bj-top", v1::EVENT_TYPE_PURCHASE, kNow, "bj"),
          MakeEvent("anywhere", v1::EVENT_TYPE_SAVE, kNow, "")});
  const TrendingSource source(*store_);
  EXPECT_EQ(source.name(), "trending");
  context_.region = "sh";
  // The region has enough: only its own trend.
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("sh-top", "sh-2"));
  // Too few in the region: topped up from the global trend, sh-top not twice.
  EXPECT_THAT(IdsOf(Fetch(source, 4)),
              ElementsAre("sh-top", "sh-2", "bj-top", "anywhere"));
  // A region never seen gets the global trend.
  context_.region = "gz";
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("bj-top", "anywhere"));
  // Seen items will be filtered later, so it reads past them.
  context_.seen.insert("bj-top");
  const std::vector<Candidate> found = Fetch(source, 2);
  ASSERT_THAT(IdsOf(found), ElementsAre("bj-top", "anywhere", "sh-top"));
  EXPECT_FALSE(found[0].retrieval_similarity.has_value());
  EXPECT_THAT(Fetch(source, 0), IsEmpty());
}

TEST_F(SourcesTest, Recent_NewestFirstReadingPastSeenAndServedOnly) {
  Add({MakeItem("a", {}, kNow - 1 * kMinute), MakeItem("b", {}, kNow - 2 * kMinute),
       MakeItem("c", {}, kNow - 3 * kMinute), MakeItem("d", {}, kNow - 4 * kMinute),
       MakeItem("e", {}, kNow - 5 * kMinute)});
  const RecentSource source(*store_);
  EXPECT_EQ(source.name(), "recent");
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("a", "b"));
  // Seen and served items are passed on for the filters, and do not use up
  // the budget.
  context_.seen.insert("a");
  context_.served.insert(ServedHash("b"));
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("a", "b", "c", "d"));
  // A long history read past, but not passed on: the budget's worth of
  // unseen items, not the whole read.
  for (int i = 0; i < 100; ++i) context_.seen.insert("old" + std::to_string(i));
  EXPECT_THAT(IdsOf(Fetch(source, 1)), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Fetch(source, 0), IsEmpty());
}

TEST_F(SourcesTest, Fresh_NewItemsWithLittleExposureNewestFirst) {
  Add({MakeItem("old", {}, kNow - 80 * kHour), MakeItem("new", {}, kNow - 1 * kHour),
       MakeItem("newer", {}, kNow - 10 * kMinute), MakeItem("popular", {}, kNow - kHour),
       MakeItem("day-old", {}, kNow - 24 * kHour)});
  std::vector<v1::Event> impressions;
  for (int i = 0; i < 50; ++i) {
    impressions.push_back(MakeEvent("popular", v1::EVENT_TYPE_IMPRESSION, kNow, ""));
    if (i < 49) {
      impressions.push_back(MakeEvent("day-old", v1::EVENT_TYPE_IMPRESSION, kNow, ""));
    }
  }
  Events(impressions);
  const FreshSource source(*store_);
  EXPECT_EQ(source.name(), "fresh");
  // "old" is past 72 h; "popular" has 50 impressions; "day-old" 49.
  EXPECT_THAT(IdsOf(Fetch(source, 10)), ElementsAre("newer", "new", "day-old"));
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("newer", "new"));
  // Seen items do not use up the budget.
  context_.seen.insert("newer");
  EXPECT_THAT(IdsOf(Fetch(source, 2)), ElementsAre("newer", "new", "day-old"));
  context_.seen.clear();

  FreshSource::Options options;
  options.window_ms = 30 * kMinute;
  options.max_impressions = 100;
  EXPECT_THAT(IdsOf(Fetch(FreshSource(*store_, options), 10)), ElementsAre("newer"));
  options.window_ms = 72 * kHour;
  EXPECT_THAT(IdsOf(Fetch(FreshSource(*store_, options), 10)),
              ElementsAre("newer", "new", "popular", "day-old"));
  // Deleted items are not offered.
  ASSERT_TRUE(store_->DeleteItems(std::vector<std::string>{"newer"}).ok());
  EXPECT_THAT(IdsOf(Fetch(source, 10)), ElementsAre("new", "day-old"));
}

TEST_F(SourcesTest, Campaign_RoundRobinOverOpenCampaignsUpToBudget) {
  Add({MakeItem("d1", {}, kNow - 1, {"1111"}), MakeItem("d2", {}, kNow - 2, {"1111"}),
       MakeItem("d3", {}, kNow - 3, {"1111"}), MakeItem("s1", {}, kNow - 4, {"618"}),
       MakeItem("both", {}, kNow - 5, {"618", "1111"}), MakeItem("untagged", {}, kNow)});
  const CampaignSource source(*store_);
  EXPECT_EQ(source.name(), "campaign");
  EXPECT_THAT(Fetch(source, 10), IsEmpty());  // no campaign open

  Campaign double11;
  double11.name = "double11";
  double11.tag = "1111";
  Campaign mid_year;
  mid_year.name = "618";
  mid_year.tag = "618";
  context_.open_campaigns = {double11, mid_year};
  // One from each in turn, newest first within each; "both" comes once.
  EXPECT_THAT(IdsOf(Fetch(source, 10)), ElementsAre("d1", "s1", "d2", "both", "d3"));
  EXPECT_THAT(IdsOf(Fetch(source, 3)), ElementsAre("d1", "s1", "d2"));
  // Seen items do not use up the budget.
  context_.seen.insert("s1");
  EXPECT_THAT(IdsOf(Fetch(source, 3)), ElementsAre("d1", "s1", "d2", "both"));
  // After a tag change the item leaves the campaign.
  context_.seen.clear();
  ASSERT_TRUE(
      store_->UpsertItems(std::vector<v1::Item>{MakeItem("d1", {}, kNow - 1, {})}).ok());
  EXPECT_THAT(IdsOf(Fetch(source, 10)), ElementsAre("d2", "s1", "d3", "both"));
  EXPECT_THAT(Fetch(source, 0), IsEmpty());
}

}  // namespace
}  // namespace zhongcao::ranking
