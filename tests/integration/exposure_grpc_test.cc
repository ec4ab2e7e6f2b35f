// Exposures and interleaving over gRPC: an interleaved experiment's feed
// attributes every item to an arm across pages without repeats or broken
// caps; ReadExposures returns exactly what was served; outcomes that name
// the request id join back and credit the arms; bad reads are refused with
// the field named.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "ranking/experiment/interleaving_credit.h"
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

ranking::ExperimentArm Arm(const std::string& name,
                           std::vector<std::pair<std::string, double>> overrides) {
  return {name, 1, std::move(overrides)};
}

// "similar" ranks by the user vector, "fresh" by age: two rankings that
// differ enough for both teams to place items. `budgets_differ` also makes
// their retrieval differ, so each arm runs its own.
service::ServerOptions Interleaved(bool budgets_differ) {
  ranking::Experiment ranker;
  ranker.name = "ranker";
  ranker.salt = "ranker-1";
  ranker.interleaved = true;
  ranker.arms = {Arm("similar", {{"weights.freshness", 0}}),
                 Arm("fresh", {{"weights.similarity", 0}, {"weights.freshness", 3}})};
  if (budgets_differ) ranker.arms[1].overrides.emplace_back("budgets.trending", 0);
  ranking::Experiment split;
  split.name = "diversity";
  split.arms = {Arm("control", {}), Arm("more_diverse", {{"rerank.mmr_lambda", 0.5}})};
  auto experiments = ranking::Experiments::Create({ranker, split});
  EXPECT_TRUE(experiments.ok()) << experiments.status();
  service::ServerOptions options;
  options.ranking.experiments = *std::move(experiments);
  return options;
}

class ExposureTest : public ::testing::Test {
 protected:
  void Start(service::ServerOptions options) {
    server_ = std::make_unique<testing::TestServer>(kDim, std::move(options));
    std::vector<std::vector<float>> topics;
    for (int t = 0; t < kTopics; ++t) topics.push_back(testing::RandomUnit(kDim, rng_));
    std::vector<v1::Item> items;
    const int64_t now = NowMs();
    for (int i = 0; i < 200; ++i) {
      v1::Item item;
      item.set_id("i" + std::to_string(i));
      item.set_kind(i % 2 ? v1::ITEM_KIND_NOTE : v1::ITEM_KIND_VIDEO);
      item.set_creator_id("c" + std::to_string(i % 10));
      item.set_created_at_ms(now - (i * 7919 % 200) * 3600 * 1000LL);
      for (float x : testing::Near(topics[i % kTopics], 0.2f, rng_))
        item.add_embedding(x);
      items.push_back(item);
    }
    ASSERT_TRUE(server_->Upsert(items).ok());
    std::vector<v1::User> users;
    for (int u = 0; u < 12; ++u) {
      v1::User user;
      user.set_id("u" + std::to_string(u));
      for (float x : testing::Near(topics[u % kTopics], 0.1f, rng_))
        user.add_embedding(x);
      users.push_back(user);
    }
    ASSERT_TRUE(server_->UpsertUsers(users).ok());
  }

  grpc::Status ReadExposures(const v1::ReadLogRequest& request,
                             std::vector<v1::Exposure>* out) {
    v1::ReadLogRequest page = request;
    for (;;) {
      grpc::ClientContext context;
      v1::ReadExposuresResponse response;
      grpc::Status status = server_->admin->ReadExposures(&context, page, &response);
      if (!status.ok()) return status;
      out->insert(out->end(), response.exposures().begin(), response.exposures().end());
      if (response.next_page_token().empty()) return status;
      page.set_page_token(response.next_page_token());
    }
  }

  // Feeds three pages to each of 12 users and checks every page and the
  // exposure log against what was served.
  void InterleavedFeed_AttributesItemsAndLogsThem();
  // The stages of a debug trace of u0's feed, in order.
  std::vector<std::string> TracedStages() {
    v1::GetFeedRequest request;
    request.set_user_id("u0");
    request.set_count(5);
    request.set_debug(true);
    v1::GetFeedResponse response;
    EXPECT_TRUE(server_->Feed(request, &response).ok());
    std::vector<std::string> stages;
    for (const v1::StageTrace& t : response.trace()) stages.push_back(t.stage());
    return stages;
  }

  std::mt19937_64 rng_{5};
  std::unique_ptr<testing::TestServer> server_;
};

// Checks one interleaved page and returns its items' arms.
std::map<std::string, int> CheckInterleavedPage(const v1::GetFeedResponse& response,
                                                std::set<std::string>* served) {
  bool interleaved = false;
  for (const v1::ArmAssignment& arm : response.arms()) {
    if (arm.experiment() == "ranker") {
      EXPECT_TRUE(arm.interleaved());
      EXPECT_EQ(arm.arm(), "");
      interleaved = true;
    }
  }
  EXPECT_TRUE(interleaved);
  std::map<std::string, int> arms;
  std::map<std::string, int> per_creator;
  for (const v1::ScoredItem& item : response.items()) {
    EXPECT_TRUE(item.arm() == "similar" || item.arm() == "fresh") << item.arm();
    ++arms[item.arm()];
    // Each item's score is explained with its own arm's weights, in which
    // the other arm's feature weighs nothing.
    const auto& parts = item.explanation().contributions();
    EXPECT_FALSE(parts.contains(item.arm() == "similar" ? "freshness" : "similarity"))
        << item.item_id() << " of " << item.arm();
    if (item.arm() == "fresh") {
      EXPECT_TRUE(parts.contains("freshness")) << item.item_id();
    }
    EXPECT_TRUE(served->insert(item.item_id()).second) << item.item_id() << " repeated";
    EXPECT_LE(++per_creator[item.creator_id()], 2) << "creator cap per page";
  }
  return arms;
}

void ExposureTest::InterleavedFeed_AttributesItemsAndLogsThem() {
  const int64_t since = NowMs();
  std::map<std::string, v1::GetFeedResponse> served_responses;  // by request id
  std::map<std::string, int> arm_items;
  for (int u = 0; u < 12; ++u) {
    const std::string user = "u" + std::to_string(u);
    std::set<std::string> served;
    std::string token;
    for (int page = 0; page < 3; ++page) {
      v1::GetFeedRequest request;
      request.set_user_id(user);
      request.set_count(10);
      request.set_page_token(token);
      v1::GetFeedResponse response;
      ASSERT_TRUE(server_->Feed(request, &response).ok());
      ASSERT_EQ(response.items_size(), 10);
      for (const auto& [arm, n] : CheckInterleavedPage(response, &served)) {
        arm_items[arm] += n;
      }
      token = response.next_page_token();
      served_responses[response.request_id()] = response;
      ASSERT_FALSE(token.empty());
    }
  }
  EXPECT_GT(arm_items["similar"], 0);
  EXPECT_GT(arm_items["fresh"], 0);

  // The log holds exactly the served responses.
  v1::ReadLogRequest all;
  all.set_since_ms(since);
  all.set_limit(7);  // several pages
  std::vector<v1::Exposure> exposures;
  ASSERT_TRUE(ReadExposures(all, &exposures).ok());
  ASSERT_EQ(exposures.size(), served_responses.size());
  for (const v1::Exposure& e : exposures) {
    auto it = served_responses.find(e.request_id());
    ASSERT_NE(it, served_responses.end()) << e.request_id();
    const v1::GetFeedResponse& response = it->second;
    EXPECT_EQ(e.method(), "GetFeed");
    EXPECT_EQ(e.interleaved_experiment(), "ranker");
    EXPECT_EQ(e.arms().at("ranker"), "");
    EXPECT_FALSE(e.arms().at("diversity").empty());
    EXPECT_GE(e.logged_at_ms(), since);
    ASSERT_EQ(e.items_size(), response.items_size());
    for (int i = 0; i < e.items_size(); ++i) {
      EXPECT_EQ(e.items(i).item_id(), response.items(i).item_id());
      EXPECT_EQ(e.items(i).position(), i);
      EXPECT_EQ(e.items(i).arm(), response.items(i).arm());
      EXPECT_FLOAT_EQ(e.items(i).score(), response.items(i).score());
      EXPECT_TRUE(e.items(i).features().contains("similarity"));
      EXPECT_TRUE(e.items(i).features().contains("freshness"));
    }
  }
  // One user's responses only.
  v1::ReadLogRequest one = all;
  one.set_user_id("u3");
  std::vector<v1::Exposure> u3;
  ASSERT_TRUE(ReadExposures(one, &u3).ok());
  EXPECT_EQ(u3.size(), 3u);
  for (const v1::Exposure& e : u3) EXPECT_EQ(e.user_id(), "u3");
}

TEST_F(ExposureTest, GetFeed_InterleavedArmsShareRetrieval_EveryItemAttributedAndLogged) {
  Start(Interleaved(/*budgets_differ=*/false));
  InterleavedFeed_AttributesItemsAndLogsThem();
  // One retrieval, then each arm ranks.
  const std::vector<std::string> stages = TracedStages();
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "hydrate"), 1);
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "rank:similar"), 1);
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "rank:fresh"), 1);
}

TEST_F(ExposureTest, GetFeed_InterleavedArmsRetrieveApart_EveryItemAttributedAndLogged) {
  Start(Interleaved(/*budgets_differ=*/true));
  InterleavedFeed_AttributesItemsAndLogsThem();
  const std::vector<std::string> stages = TracedStages();
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "hydrate"), 2);
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "retrieve:fresh"), 1);
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "source:trending"), 1)
      << "the fresh arm turns trending off";
}

TEST_F(ExposureTest, Outcomes_WithTheRequestIdJoinBackAndCreditTheArm) {
  Start(Interleaved(false));
  const int64_t since = NowMs();
  std::vector<v1::Event> events;
  std::map<std::string, std::string> clicked_arm;  // request id -> arm clicked
  for (int u = 0; u < 6; ++u) {
    v1::GetFeedRequest request;
    request.set_user_id("u" + std::to_string(u));
    request.set_count(8);
    v1::GetFeedResponse response;
    ASSERT_TRUE(server_->Feed(request, &response).ok());
    ASSERT_GT(response.items_size(), 0);
    // The user clicks the top "fresh" item (or the top item if none).
    const v1::ScoredItem* clicked = &response.items(0);
    for (const v1::ScoredItem& item : response.items()) {
      if (item.arm() == "fresh") {
        clicked = &item;
        break;
      }
    }
    v1::Event click;
    click.set_user_id(request.user_id());
    click.set_item_id(clicked->item_id());
    click.set_type(v1::EVENT_TYPE_CLICK);
    click.set_request_id(response.request_id());
    events.push_back(click);
    clicked_arm[response.request_id()] = clicked->arm();
  }
  v1::Event unrelated;  // no request id: not an outcome
  unrelated.set_user_id("u0");
  unrelated.set_item_id("i1");
  unrelated.set_type(v1::EVENT_TYPE_LIKE);
  events.push_back(unrelated);
  ASSERT_TRUE(server_->Record(events).ok());

  v1::ReadLogRequest range;
  range.set_since_ms(since);
  grpc::ClientContext context;
  v1::ReadOutcomesResponse outcomes;
  ASSERT_TRUE(server_->admin->ReadOutcomes(&context, range, &outcomes).ok());
  ASSERT_EQ(outcomes.outcomes_size(), 6);
  std::vector<v1::Event> outcome_events;
  for (const v1::Outcome& o : outcomes.outcomes()) {
    EXPECT_TRUE(clicked_arm.contains(o.event().request_id()));
    EXPECT_GE(o.logged_at_ms(), since);
    outcome_events.push_back(o.event());
  }
  std::vector<v1::Exposure> exposures;
  ASSERT_TRUE(ReadExposures(range, &exposures).ok());
  ASSERT_EQ(exposures.size(), 6u);
  const ranking::CreditReport report = ranking::CreditOutcomes(exposures, outcome_events);
  EXPECT_EQ(report.unmatched_outcomes, 0);
  ASSERT_EQ(report.interleaved.size(), 1u);
  const ranking::InterleavingCredit& credit = report.interleaved[0];
  EXPECT_EQ(credit.requests, 6);
  EXPECT_EQ(credit.requests_with_outcome, 6);
  int fresh_clicks = 0;
  for (const auto& [request_id, arm] : clicked_arm) fresh_clicks += arm == "fresh";
  // Arms in name order: "fresh" is A.
  EXPECT_EQ(credit.arm_a, "fresh");
  EXPECT_EQ(credit.wins_a, fresh_clicks);
  EXPECT_EQ(credit.wins_b, 6 - fresh_clicks);
}

TEST_F(ExposureTest, ForcedArm_ServesOneArmAndRankProductsIsLoggedToo) {
  Start(Interleaved(false));
  const int64_t since = NowMs();
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(5);
  (*request.mutable_force_arms())["ranker"] = "fresh";
  v1::GetFeedResponse feed;
  ASSERT_TRUE(server_->Feed(request, &feed).ok());
  for (const v1::ScoredItem& item : feed.items()) EXPECT_EQ(item.arm(), "");

  v1::RankProductsRequest rank;
  rank.set_user_id("u2");
  rank.add_product_ids("i1");
  rank.add_product_ids("i2");
  grpc::ClientContext context;
  v1::RankProductsResponse ranked;
  ASSERT_TRUE(server_->recommend->RankProducts(&context, rank, &ranked).ok());

  v1::ReadLogRequest range;
  range.set_since_ms(since);
  std::vector<v1::Exposure> exposures;
  ASSERT_TRUE(ReadExposures(range, &exposures).ok());
  ASSERT_EQ(exposures.size(), 2u);
  const v1::Exposure& forced =
      exposures[0].method() == "GetFeed" ? exposures[0] : exposures[1];
  const v1::Exposure& products =
      exposures[0].method() == "GetFeed" ? exposures[1] : exposures[0];
  EXPECT_EQ(forced.request_id(), feed.request_id());
  EXPECT_EQ(forced.arms().at("ranker"), "fresh");
  EXPECT_TRUE(forced.interleaved_experiment().empty());
  EXPECT_EQ(forced.items_size(), feed.items_size());
  EXPECT_EQ(products.method(), "RankProducts");
  EXPECT_EQ(products.request_id(), ranked.request_id());
  EXPECT_EQ(products.items_size(), ranked.items_size());
}

TEST_F(ExposureTest, ReadExposures_BadInput_IsRefusedNamingTheField) {
  Start({});  // no experiments
  auto code_and_message = [&](v1::ReadLogRequest request) {
    grpc::ClientContext context;
    v1::ReadExposuresResponse response;
    grpc::Status status = server_->admin->ReadExposures(&context, request, &response);
    return std::make_pair(status.error_code(), status.error_message());
  };
  v1::ReadLogRequest request;
  request.set_limit(5000);
  auto [code, message] = code_and_message(request);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(message.rfind("limit:", 0), 0u) << message;

  request = {};
  request.set_since_ms(100);
  request.set_until_ms(50);
  std::tie(code, message) = code_and_message(request);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(message.rfind("until_ms:", 0), 0u) << message;

  request = {};
  request.set_since_ms(-1);
  std::tie(code, message) = code_and_message(request);
  EXPECT_EQ(message.rfind("since_ms:", 0), 0u) << message;

  request = {};
  request.set_page_token("not a token!");
  std::tie(code, message) = code_and_message(request);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(message.rfind("page_token:", 0), 0u) << message;

  // A token is only good for the range it was made for.
  v1::GetFeedRequest feed;
  feed.set_user_id("u1");
  feed.set_count(3);
  v1::GetFeedResponse served;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(server_->Feed(feed, &served).ok());
  request = {};
  request.set_limit(1);
  grpc::ClientContext first_context;
  v1::ReadExposuresResponse first;
  ASSERT_TRUE(server_->admin->ReadExposures(&first_context, request, &first).ok());
  ASSERT_EQ(first.exposures_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  request.set_since_ms(first.exposures(0).logged_at_ms() + 1);
  std::tie(code, message) = code_and_message(request);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(message.rfind("page_token:", 0), 0u) << message;

  request = {};
  request.set_user_id("has space");
  std::tie(code, message) = code_and_message(request);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(message.rfind("user_id", 0), 0u) << message;
}

}  // namespace
}  // namespace zhongcao
