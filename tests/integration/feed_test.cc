// The feed pipeline over gRPC: events change the next feed, caps and the
// kind mix hold on every page, filters never leak, a slow source does not
// fail a request, experiment arms are stable and split traffic, and the
// calls built on the same pipeline (lookalikes, shop the look, event
// streams, campaigns).
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "ranking/source/candidate_source.h"
#include "tests/integration/test_server.h"

namespace zhongcao {
namespace {

constexpr int kDim = 16;
constexpr int kTopics = 4;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A small catalog: 4 topics; 8 creators (2 per topic); notes, videos,
// products (some out of stock, some region-limited) and one live item per
// topic; users who like one topic each.
class FeedTest : public ::testing::Test {
 protected:
  void Start(service::ServerOptions options = {}) {
    server_ = std::make_unique<testing::TestServer>(kDim, std::move(options));
    for (int t = 0; t < kTopics; ++t) topics_.push_back(testing::RandomUnit(kDim, rng_));
    std::vector<v1::Creator> creators;
    for (int c = 0; c < 8; ++c) {
      v1::Creator creator;
      creator.set_id("c" + std::to_string(c));
      creator.set_name("Creator " + std::to_string(c));
      creator.set_tier(c % 2 ? v1::CREATOR_TIER_KOC : v1::CREATOR_TIER_KOL);
      creators.push_back(creator);
    }
    ASSERT_TRUE(server_->UpsertCreators(creators).ok());
    std::vector<v1::Item> items;
    const int64_t now = NowMs();
    for (int i = 0; i < 240; ++i) {
      const int topic = i % kTopics;
      v1::Item item;
      item.set_id("i" + std::to_string(i));
      item.set_creator_id("c" + std::to_string(topic * 2 + (i / kTopics) % 2));
      item.set_created_at_ms(now - (i % 50) * 3600 * 1000);
      item.set_category("topic" + std::to_string(topic));
      for (float x : testing::Near(topics_[topic], 0.15f, rng_)) item.add_embedding(x);
      if (i % 3 == 0) {
        item.set_kind(v1::ITEM_KIND_PRODUCT);
        item.mutable_product()->set_price_cents(1000 + 100 * (i % 7));
        item.mutable_product()->set_stock(i % 9 == 0 ? 0 : 10);
      } else {
        item.set_kind(i % 3 == 1 ? v1::ITEM_KIND_NOTE : v1::ITEM_KIND_VIDEO);
        item.add_linked_product_ids("i" + std::to_string(i - i % 3));
      }
      if (i % 10 == 7) item.add_regions("beijing");
      items.push_back(item);
    }
    for (int t = 0; t < kTopics; ++t) {
      v1::Item live;
      live.set_id("live" + std::to_string(t));
      live.set_kind(v1::ITEM_KIND_LIVE);
      live.set_creator_id("c" + std::to_string(t * 2));
      live.set_created_at_ms(now);
      live.set_category("topic" + std::to_string(t));
      for (float x : testing::Near(topics_[t], 0.3f, rng_)) live.add_embedding(x);
      items.push_back(live);
    }
    ASSERT_TRUE(server_->Upsert(items).ok());
    for (const v1::Item& item : items) catalog_[item.id()] = item;
  }

  v1::User UserOfTopic(const std::string& id, int topic) {
    v1::User user;
    user.set_id(id);
    user.set_region("shanghai");
    for (float x : testing::Near(topics_[topic], 0.1f, rng_)) user.add_embedding(x);
    return user;
  }

  v1::GetFeedRequest FeedRequest(const std::string& user, int count) {
    v1::GetFeedRequest request;
    request.set_user_id(user);
    request.set_count(count);
    request.mutable_context()->set_region("shanghai");
    return request;
  }

  v1::Event Event(const std::string& user, const std::string& item, v1::EventType type) {
    v1::Event event;
    event.set_user_id(user);
    event.set_item_id(item);
    event.set_type(type);
    return event;
  }

  int TopicOf(const std::string& item_id) {
    return std::stoi(catalog_[item_id].category().substr(5));
  }

  std::mt19937_64 rng_{11};
  std::vector<std::vector<float>> topics_;
  std::map<std::string, v1::Item> catalog_;
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(FeedTest, Events_MoveTheSessionAndTrendingAtOnce) {
  Start();
  // u1 has no long-term vector yet: a cold-start feed, about a quarter of
  // it from each topic.
  v1::User cold;
  cold.set_id("u1");
  cold.set_region("shanghai");
  ASSERT_TRUE(server_->UpsertUsers({cold, UserOfTopic("u2", 0)}).ok());
  auto topic2_share = [&](const v1::GetFeedResponse& page) {
    int topic2 = 0;
    for (const auto& item : page.items()) topic2 += TopicOf(item.item_id()) == 2;
    return topic2 / static_cast<double>(page.items_size());
  };
  v1::GetFeedResponse before;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 10), &before).ok());
  ASSERT_EQ(before.items_size(), 10);

  // u1 buys and saves topic-2 things: the next feed leans to topic 2, from
  // the session source, explained by the purchase or the save.
  std::vector<v1::Event> events;
  for (const char* id : {"i2", "i6", "i10"}) {
    events.push_back(Event("u1", id, v1::EVENT_TYPE_PURCHASE));
  }
  events.push_back(Event("u1", "i14", v1::EVENT_TYPE_SAVE));
  ASSERT_TRUE(server_->Record(events).ok());
  v1::GetFeedResponse after;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 10), &after).ok());
  ASSERT_EQ(after.items_size(), 10);
  // Topic 2 has two creators, and a page takes two items of each.
  EXPECT_GE(topic2_share(after), 0.4) << "before: " << topic2_share(before);
  EXPECT_GT(topic2_share(after), topic2_share(before));
  EXPECT_EQ(TopicOf(after.items(0).item_id()), 2);
  bool explained = false;
  for (const auto& item : after.items()) {
    const auto& sources = item.explanation().sources();
    if (std::find(sources.begin(), sources.end(), "ann:session") == sources.end())
      continue;
    explained |= item.explanation().reason().rfind("similar to an item you", 0) == 0;
  }
  EXPECT_TRUE(explained);

  // Many users like i33 in shanghai: a newcomer there is shown it as
  // trending.
  std::vector<v1::Event> trend;
  for (int u = 0; u < 30; ++u) {
    trend.push_back(Event("fan" + std::to_string(u), "i33", v1::EVENT_TYPE_LIKE));
    trend.back().set_region("shanghai");
  }
  ASSERT_TRUE(server_->Record(trend).ok());
  v1::GetFeedResponse newcomer;
  ASSERT_TRUE(server_->Feed(FeedRequest("newcomer", 10), &newcomer).ok());
  bool trending = false;
  for (const auto& item : newcomer.items()) {
    if (item.item_id() != "i33") continue;
    const auto& sources = item.explanation().sources();
    trending = std::find(sources.begin(), sources.end(), "trending") != sources.end();
    EXPECT_GT(item.explanation().contributions().at("engagement"), 0);
    EXPECT_EQ(item.explanation().reason(), "trending in shanghai");
  }
  EXPECT_TRUE(trending);
}

TEST_F(FeedTest, TrendFeature_IsTheItemsShareOfTheBoardsBest) {
  service::ServerOptions options;
  options.ranking.settings.weights.trend = 0.5f;
  Start(std::move(options));
  // i33 is liked four times as often as i34 in shanghai, at one time.
  std::vector<v1::Event> likes;
  for (int u = 0; u < 40; ++u) {
    likes.push_back(
        Event("fan" + std::to_string(u), u < 32 ? "i33" : "i34", v1::EVENT_TYPE_LIKE));
    likes.back().set_region("shanghai");
  }
  ASSERT_TRUE(server_->Record(likes).ok());
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(FeedRequest("newcomer", 20), &page).ok());
  std::map<std::string, float> trend;
  for (const auto& item : page.items()) {
    const auto& parts = item.explanation().contributions();
    if (parts.contains("trend")) trend[item.item_id()] = parts.at("trend");
  }
  ASSERT_TRUE(trend.contains("i33") && trend.contains("i34"));
  EXPECT_NEAR(trend["i33"], 0.5f, 1e-5);           // the best: share 1
  EXPECT_NEAR(trend["i34"], 0.5f * 8 / 32, 1e-3);  // a quarter of it
  EXPECT_EQ(trend.size(), 2u);                     // off the board: no part
}

TEST_F(FeedTest, CapsKindMixAndFilters_HoldOnEveryPage) {
  Start();
  v1::User user = UserOfTopic("u1", 1);
  user.add_blocked_creator_ids("c3");
  ASSERT_TRUE(server_->UpsertUsers({user}).ok());
  v1::GetFeedRequest request = FeedRequest("u1", 10);
  std::set<std::string> served;
  std::vector<std::string> creators_in_order;
  int pages = 0;
  do {
    v1::GetFeedResponse page;
    ASSERT_TRUE(server_->Feed(request, &page).ok());
    std::map<std::string, int> per_creator;
    int products_in_a_row = 0;
    bool non_product_left = false;
    for (const auto& item : page.items()) {
      EXPECT_TRUE(served.insert(item.item_id()).second) << item.item_id();
      const v1::Item& stored = catalog_[item.item_id()];
      EXPECT_NE(stored.creator_id(), "c3");  // blocked
      EXPECT_TRUE(stored.regions().empty()) << "beijing-only item leaked";
      if (stored.kind() == v1::ITEM_KIND_PRODUCT) {
        EXPECT_GT(stored.product().stock(), 0);
      }
      EXPECT_LE(++per_creator[stored.creator_id()], 2) << "creator cap per page";
      creators_in_order.push_back(stored.creator_id());
      products_in_a_row =
          item.kind() == v1::ITEM_KIND_PRODUCT ? products_in_a_row + 1 : 0;
      non_product_left |= item.kind() != v1::ITEM_KIND_PRODUCT;
      if (non_product_left) {
        EXPECT_LE(products_in_a_row, 2) << "kind mix";
      }
    }
    request.set_page_token(page.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 8);
  // The session cap: no creator more than 4 times in any 60 consecutive items.
  for (size_t start = 0; start < creators_in_order.size(); ++start) {
    std::map<std::string, int> window;
    for (size_t i = start; i < std::min(creators_in_order.size(), start + 60); ++i) {
      EXPECT_LE(++window[creators_in_order[i]], 4) << "session cap at " << i;
    }
  }
  EXPECT_GT(pages, 1);
}

TEST_F(FeedTest, DebugTrace_TimesTheContextThenEveryStageInOrder) {
  Start();
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 2)}).ok());
  ASSERT_TRUE(server_->Record({Event("u1", "i2", v1::EVENT_TYPE_CLICK)}).ok());
  v1::GetFeedRequest request = FeedRequest("u1", 10);
  v1::GetFeedResponse plain;
  ASSERT_TRUE(server_->Feed(request, &plain).ok());
  EXPECT_EQ(plain.trace_size(), 0) << "traces only when asked for";

  request.set_debug(true);
  v1::GetFeedResponse traced;
  ASSERT_TRUE(server_->Feed(request, &traced).ok());
  ASSERT_GT(traced.trace_size(), 0);
  // The user's reads come first, then the sources; filters run on either
  // side of hydration (some need the items' rows); then scoring and
  // re-ranking. Each stage once.
  EXPECT_EQ(traced.trace(0).stage(), "context");
  EXPECT_GT(traced.trace(0).micros(), 0) << "the user's reads are timed";
  auto phase = [](const std::string& stage) {
    const std::vector<std::pair<std::string, int>> phases = {
        {"context", 0}, {"source:", 1}, {"filter:", 2},
        {"hydrate", 2}, {"score", 3},   {"rerank:", 4}};
    for (const auto& [prefix, p] : phases) {
      if (stage.rfind(prefix, 0) == 0) return p;
    }
    return -1;
  };
  int at = 0;
  std::set<std::string> seen;
  for (const v1::StageTrace& t : traced.trace()) {
    EXPECT_TRUE(seen.insert(t.stage()).second) << t.stage() << " twice";
    EXPECT_GE(t.micros(), 0) << t.stage();
    const int p = phase(t.stage());
    ASSERT_GE(p, 0) << "unknown stage " << t.stage();
    EXPECT_GE(p, at) << t.stage() << " out of order";
    at = p;
    if (t.stage() == "hydrate") {
      EXPECT_EQ(t.candidates_in(), t.candidates_out());
    }
    if (t.stage().rfind("filter:", 0) == 0) {
      EXPECT_LE(t.candidates_out(), t.candidates_in()) << t.stage();
    }
  }
  EXPECT_EQ(at, 4) << "no re-ranker traced";
  EXPECT_TRUE(seen.contains("hydrate"));
  EXPECT_TRUE(seen.contains("score"));
}

TEST_F(FeedTest, LiveItem_TakesTheLiveSlot) {
  Start();
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 3)}).ok());
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 10), &page).ok());
  bool live_in_slot = false;
  for (int i = 0; i < std::min(3, page.items_size()); ++i) {
    live_in_slot |= page.items(i).kind() == v1::ITEM_KIND_LIVE;
  }
  EXPECT_TRUE(live_in_slot);
}

TEST_F(FeedTest, ShoppingSurface_ServesOnlyShoppableCards) {
  Start();
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 0)}).ok());
  v1::GetFeedRequest request = FeedRequest("u1", 40);
  request.mutable_context()->set_surface(v1::SURFACE_SHOP);
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(request, &page).ok());
  ASSERT_GT(page.items_size(), 0);
  for (const auto& item : page.items()) {
    const v1::Item& stored = catalog_[item.item_id()];
    if (stored.kind() == v1::ITEM_KIND_PRODUCT || stored.kind() == v1::ITEM_KIND_LIVE) {
      continue;
    }
    ASSERT_EQ(stored.linked_product_ids_size(), 1);
    EXPECT_GT(catalog_[stored.linked_product_ids(0)].product().stock(), 0)
        << item.item_id() << " links only out-of-stock products";
  }
}

// A source that answers only after the request's deadline.
class SlowSource : public ranking::CandidateSource {
 public:
  explicit SlowSource(int millis) : millis_(millis) {}
  absl::string_view name() const override { return "slow"; }
  absl::StatusOr<std::vector<ranking::Candidate>> Fetch(const ranking::FeedContext&,
                                                        int) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(millis_));
    return std::vector<ranking::Candidate>{};
  }

 private:
  int millis_;
};

service::ServerOptions WithSlowSource(int millis, int source_deadline_ms) {
  service::ServerOptions options;
  options.ranking.settings.budgets.source_deadline_ms = source_deadline_ms;
  options.ranking.extra_sources = [millis] {
    std::vector<ranking::SourceStage> stages;
    stages.push_back({std::make_unique<SlowSource>(millis),
                      [](const ranking::SourceBudgets&, bool) { return 10; }});
    return stages;
  };
  return options;
}

TEST_F(FeedTest, SlowSource_IsLeftOutAndCountedWithoutFailingTheFeed) {
  Start(WithSlowSource(/*millis=*/400, /*source_deadline_ms=*/100));
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 0)}).ok());
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 10), &page).ok());
  EXPECT_EQ(page.items_size(), 10);
  ASSERT_EQ(page.degraded_sources_size(), 1);
  EXPECT_EQ(page.degraded_sources(0), "slow");
  EXPECT_GE(server_->Status().degraded_sources().at("slow"), 1);
}

TEST_F(FeedTest, SlowSource_TheCallersDeadlineCutsSourcesShort) {
  // The configured source deadline is generous; the client's is not.
  Start(WithSlowSource(/*millis=*/2500, /*source_deadline_ms=*/60000));
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 0)}).ok());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(1500));
  v1::GetFeedResponse page;
  grpc::Status status =
      server_->recommend->GetFeed(&context, FeedRequest("u1", 10), &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(page.items_size(), 10);
  ASSERT_EQ(page.degraded_sources_size(), 1);
  EXPECT_EQ(page.degraded_sources(0), "slow");
}

TEST_F(FeedTest, Arms_StablePerUserSplitTrafficAndNamedInResponses) {
  service::ServerOptions options;
  ranking::Experiment experiment;
  experiment.name = "diversity";
  experiment.salt = "t";
  experiment.arms.push_back({"control", 1, {}});
  experiment.arms.push_back({"diverse", 1, {{"rerank.mmr_lambda", 0.3}}});
  auto experiments = ranking::Experiments::Create({experiment});
  ASSERT_TRUE(experiments.ok());
  options.ranking.experiments = *experiments;
  Start(std::move(options));
  std::map<std::string, int> arms;
  for (int u = 0; u < 120; ++u) {
    const std::string user = "anon" + std::to_string(u);
    std::string first_arm;
    for (int repeat = 0; repeat < 2; ++repeat) {
      v1::GetFeedResponse page;
      ASSERT_TRUE(server_->Feed(FeedRequest(user, 3), &page).ok());
      ASSERT_EQ(page.arms_size(), 1);
      EXPECT_EQ(page.arms(0).experiment(), "diversity");
      if (repeat == 0) first_arm = page.arms(0).arm();
      EXPECT_EQ(page.arms(0).arm(), first_arm) << user;
    }
    ++arms[first_arm];
  }
  // 50/50 of 120: 4 standard deviations is about 22.
  EXPECT_NEAR(arms["control"], 60, 22);
  EXPECT_NEAR(arms["diverse"], 60, 22);

  v1::GetFeedRequest forced = FeedRequest("anon1", 3);
  (*forced.mutable_force_arms())["diversity"] = "diverse";
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(forced, &page).ok());
  EXPECT_EQ(page.arms(0).arm(), "diverse");
  EXPECT_TRUE(page.arms(0).forced());
  (*forced.mutable_force_arms())["diversity"] = "nope";
  EXPECT_EQ(server_->Feed(forced, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(FeedTest, Campaign_OpenWindowSourcesAndBoostsTaggedItems) {
  service::ServerOptions options;
  ranking::Campaign campaign;
  campaign.name = "double11";
  campaign.tag = "1111";
  campaign.start_ms = NowMs() - 3600 * 1000;
  campaign.end_ms = NowMs() + 3600 * 1000;
  campaign.boost = 0.5f;
  options.ranking.campaigns.push_back(campaign);
  Start(std::move(options));
  v1::Item tagged = catalog_["i5"];
  tagged.add_tags("1111");
  ASSERT_TRUE(server_->Upsert({tagged}).ok());
  ASSERT_TRUE(server_->UpsertUsers({UserOfTopic("u1", 1)}).ok());  // i5's topic
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 20), &page).ok());
  bool found = false;
  for (const auto& item : page.items()) {
    if (item.item_id() != "i5") continue;
    found = true;
    EXPECT_FLOAT_EQ(item.explanation().contributions().at("campaign:double11"), 0.5f);
    EXPECT_EQ(item.explanation().reason(), "part of double11");
  }
  EXPECT_TRUE(found);
}

TEST_F(FeedTest, Surface_IsAConfigurationOfSources) {
  service::ServerOptions options;
  auto& following_tab = options.ranking.surface_settings[v1::SURFACE_FOLLOWING];
  for (const char* source : {"ann_user", "ann_session", "trending", "fresh", "campaign",
                             "recent", "cold_start_recent", "cold_start_trending"}) {
    following_tab.emplace_back(std::string("budgets.") + source, 0);
  }
  Start(std::move(options));
  v1::User user = UserOfTopic("u1", 0);
  user.add_following_creator_ids("c5");
  ASSERT_TRUE(server_->UpsertUsers({user}).ok());
  v1::GetFeedRequest request = FeedRequest("u1", 10);
  request.mutable_context()->set_surface(v1::SURFACE_FOLLOWING);
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(request, &page).ok());
  ASSERT_GT(page.items_size(), 0);
  for (const auto& item : page.items()) {
    EXPECT_EQ(item.creator_id(), "c5");
    ASSERT_EQ(item.explanation().sources_size(), 1);
    EXPECT_EQ(item.explanation().sources(0), "following");
  }
  request.mutable_context()->set_surface(v1::SURFACE_HOME);
  ASSERT_TRUE(server_->Feed(request, &page).ok());
  std::set<std::string> creators;
  for (const auto& item : page.items()) creators.insert(item.creator_id());
  EXPECT_GT(creators.size(), 1u);  // the home feed is not limited to follows
}

TEST_F(FeedTest, FindLookalikes_ReturnsUsersLikeTheSeedsButNotTheSeeds) {
  Start();
  std::vector<v1::User> users;
  for (int u = 0; u < 40; ++u)
    users.push_back(UserOfTopic("u" + std::to_string(u), u % 2));
  ASSERT_TRUE(server_->UpsertUsers(users).ok());
  grpc::ClientContext context;
  v1::FindLookalikesRequest request;
  for (const char* seed : {"u0", "u2", "u4", "nobody"}) request.add_seed_user_ids(seed);
  request.set_count(10);
  v1::FindLookalikesResponse response;
  ASSERT_TRUE(server_->recommend->FindLookalikes(&context, request, &response).ok());
  ASSERT_EQ(response.users_size(), 10);
  for (const auto& user : response.users()) {
    const int u = std::stoi(user.user_id().substr(1));
    EXPECT_EQ(u % 2, 0) << user.user_id();  // the seeds' topic
    EXPECT_NE(user.user_id(), "u0");
  }
  ASSERT_EQ(response.seeds_without_vector_size(), 1);
  EXPECT_EQ(response.seeds_without_vector(0), "nobody");
}

TEST_F(FeedTest, RankProducts_ShopThisLook_LinkedProductsFirst) {
  Start();
  v1::Item look = catalog_["i4"];
  look.clear_linked_product_ids();
  for (const char* p : {"i3", "i15", "i27"})
    look.add_linked_product_ids(p);  // i27: stock 0
  ASSERT_TRUE(server_->Upsert({look}).ok());
  grpc::ClientContext context;
  v1::RankProductsRequest request;
  request.set_user_id("u1");
  request.set_content_item_id("i4");
  request.set_count(6);
  v1::RankProductsResponse response;
  ASSERT_TRUE(server_->recommend->RankProducts(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 6);
  std::set<std::string> first_two = {response.items(0).item_id(),
                                     response.items(1).item_id()};
  EXPECT_EQ(first_two, (std::set<std::string>{"i3", "i15"}));
  EXPECT_EQ(response.items(0).explanation().reason(), "featured in this post");
  EXPECT_EQ(response.excluded().at("i27"), "unavailable or out of stock");
  for (const auto& item : response.items()) EXPECT_EQ(item.kind(), v1::ITEM_KIND_PRODUCT);

  grpc::ClientContext again;
  request.set_content_item_id("i3");  // a product, not a post
  grpc::Status status = server_->recommend->RankProducts(&again, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("content_item_id", 0), 0u);
}

TEST_F(FeedTest, StreamEvents_RecordsEachMessageAndStopsAtTheFirstBadOne) {
  Start();
  {
    grpc::ClientContext context;
    v1::RecordEventsResponse response;
    auto writer = server_->ingest->StreamEvents(&context, &response);
    for (int m = 0; m < 3; ++m) {
      v1::RecordEventsRequest message;
      *message.add_events() =
          Event("u1", "i" + std::to_string(m + 1), v1::EVENT_TYPE_CLICK);
      ASSERT_TRUE(writer->Write(message));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.recorded(), 3);
  }
  grpc::ClientContext context;
  v1::RecordEventsResponse response;
  auto writer = server_->ingest->StreamEvents(&context, &response);
  v1::RecordEventsRequest good, bad;
  *good.add_events() = Event("u1", "i7", v1::EVENT_TYPE_CLICK);
  *bad.add_events() = Event("u1", "missing", v1::EVENT_TYPE_CLICK);
  writer->Write(good);
  writer->Write(bad);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message().rfind("messages[1].events[0].item_id", 0), 0u)
      << status.error_message();
  // The first message was recorded: i7 is seen and leaves u1's feed.
  v1::GetFeedResponse page;
  ASSERT_TRUE(server_->Feed(FeedRequest("u1", 100), &page).ok());
  for (const auto& item : page.items()) {
    for (const char* seen : {"i1", "i2", "i3", "i7"}) EXPECT_NE(item.item_id(), seen);
  }
}

}  // namespace
}  // namespace zhongcao
