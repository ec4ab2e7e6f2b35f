// The real server on a loopback port, called over gRPC: health, ingest,
// feeds, pagination, events and every kind of bad input.
#include "service/server.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "service/node.h"
#include "tests/integration/test_server.h"
#include "zhongcao/v1/admin.grpc.pb.h"
#include "zhongcao/v1/ingest.grpc.pb.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao {
namespace {

namespace fs = std::filesystem;
constexpr int kDim = 16;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // These tests are about the API, not re-ranking: no creator caps, so a
    // page of one creator's items fills.
    service::ServerOptions options;
    options.ranking.settings.rerank.creator_cap_per_page = 1000;
    options.ranking.settings.rerank.creator_cap_per_session = 100000;
    server_ = std::make_unique<testing::TestServer>(kDim, std::move(options));
    channel_ = server_->channel();
    dir_ = server_->dir();
  }

  v1::Item Note(const std::string& id, const std::string& creator = "c1") {
    v1::Item item;
    item.set_id(id);
    item.set_kind(v1::ITEM_KIND_NOTE);
    item.set_creator_id(creator);
    for (float x : testing::RandomUnit(kDim, rng_)) item.add_embedding(x);
    return item;
  }

  grpc::Status Upsert(std::vector<v1::Item> items) {
    return server_->Upsert(std::move(items));
  }
  grpc::Status Feed(const v1::GetFeedRequest& request, v1::GetFeedResponse* response) {
    return server_->Feed(request, response);
  }
  int64_t ItemCount() { return server_->Status().items(); }

  v1::User UserWithVector(const std::string& id) {
    v1::User user;
    user.set_id(id);
    user.set_region("shanghai");
    for (float x : testing::RandomUnit(kDim, rng_)) user.add_embedding(x);
    return user;
  }
  void UpsertUser(const v1::User& user) {
    ASSERT_TRUE(server_->UpsertUsers({user}).ok());
  }

  std::mt19937_64 rng_{7};
  std::unique_ptr<testing::TestServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  fs::path dir_;
};

TEST_F(ServerTest, Health_ReportsServingForEveryService) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* name : {"", "zhongcao.v1.RecommendService",
                           "zhongcao.v1.IngestService", "zhongcao.v1.AdminService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(name);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << name;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }
}

TEST_F(ServerTest, GetStatus_ReportsCountsIndexAndDataDir) {
  ASSERT_TRUE(Upsert({Note("n1"), Note("n2")}).ok());
  UpsertUser(UserWithVector("u1"));
  grpc::ClientContext context;
  v1::GetStatusResponse status;
  ASSERT_TRUE(server_->admin->GetStatus(&context, {}, &status).ok());
  EXPECT_EQ(status.items(), 2);
  EXPECT_EQ(status.users(), 1);
  EXPECT_EQ(status.indexed_vectors(), 2);
  EXPECT_EQ(status.dimension(), kDim);
  EXPECT_EQ(status.index_type(), "HNSW32,Flat");
  EXPECT_EQ(status.metric(), "inner_product");
  EXPECT_EQ(status.data_dir(), dir_.string());
}

TEST_F(ServerTest, GetStatus_ReportsTheStoresWritesAndItemCache) {
  ASSERT_TRUE(Upsert({Note("n1"), Note("n2")}).ok());
  UpsertUser(UserWithVector("u1"));
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(2);
  v1::GetFeedResponse feed;
  ASSERT_TRUE(Feed(request, &feed).ok());
  ASSERT_EQ(feed.items_size(), 2);
  grpc::ClientContext context;
  v1::GetStatusResponse status;
  ASSERT_TRUE(server_->admin->GetStatus(&context, {}, &status).ok());
  const v1::StoreStatus& store = status.store();
  // The writes above sit in memtables, far below anything that stalls.
  EXPECT_GT(store.memtable_bytes(), 0);
  EXPECT_EQ(store.write_stops(), 0);
  EXPECT_EQ(store.write_slowdowns(), 0);
  EXPECT_FALSE(store.writes_stopped());
  // The feed read its two items into the cache.
  EXPECT_GT(store.item_cache_bytes(), 0);
  EXPECT_EQ(store.item_cache_capacity_bytes(),
            static_cast<int64_t>(store::StoreOptions().item_cache_bytes));
  EXPECT_EQ(store.item_cache_evictions(), 0);
  EXPECT_GE(store.item_cache_lookups(), 2);
  // The same feed again reads its items from the cache.
  ASSERT_TRUE(Feed(request, &feed).ok());
  grpc::ClientContext again;
  v1::GetStatusResponse later;
  ASSERT_TRUE(server_->admin->GetStatus(&again, {}, &later).ok());
  EXPECT_GT(later.store().item_cache_lookups(), store.item_cache_lookups());
  EXPECT_GE(later.store().item_cache_hits() - store.item_cache_hits(), 2);
}

TEST_F(ServerTest, GetFeed_PagesNeverRepeatUntilExhausted) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 57; ++i) items.push_back(Note("n" + std::to_string(i)));
  ASSERT_TRUE(Upsert(items).ok());
  UpsertUser(UserWithVector("u1"));
  std::set<std::string> served;
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(10);
  int pages = 0;
  do {
    v1::GetFeedResponse response;
    ASSERT_TRUE(Feed(request, &response).ok());
    for (const auto& item : response.items()) {
      EXPECT_TRUE(served.insert(item.item_id()).second) << "repeated " << item.item_id();
      EXPECT_FALSE(item.explanation().sources().empty());
      EXPECT_FALSE(item.explanation().reason().empty());
    }
    if (!response.next_page_token().empty()) {
      EXPECT_EQ(response.items_size(), 10);
    }
    request.set_page_token(response.next_page_token());
    ASSERT_LT(++pages, 20);
  } while (!request.page_token().empty());
  EXPECT_EQ(served.size(), 57u);
}

TEST_F(ServerTest, RecordEvents_SeenItemsLeaveTheNextFeed) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 30; ++i) items.push_back(Note("n" + std::to_string(i)));
  ASSERT_TRUE(Upsert(items).ok());
  UpsertUser(UserWithVector("u1"));
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(5);
  v1::GetFeedResponse first;
  ASSERT_TRUE(Feed(request, &first).ok());
  ASSERT_EQ(first.items_size(), 5);

  v1::RecordEventsRequest events;
  for (const auto& item : first.items()) {
    v1::Event* event = events.add_events();
    event->set_user_id("u1");
    event->set_item_id(item.item_id());
    event->set_type(v1::EVENT_TYPE_IMPRESSION);
  }
  grpc::ClientContext context;
  v1::RecordEventsResponse recorded;
  ASSERT_TRUE(server_->ingest->RecordEvents(&context, events, &recorded).ok());
  EXPECT_EQ(recorded.recorded(), 5);

  v1::GetFeedResponse second;
  ASSERT_TRUE(Feed(request, &second).ok());
  ASSERT_EQ(second.items_size(), 5);
  for (const auto& item : second.items()) {
    for (const auto& seen : first.items()) EXPECT_NE(item.item_id(), seen.item_id());
  }
}

TEST_F(ServerTest, GetFeed_UnknownUser_ReturnsColdStartFeed) {
  ASSERT_TRUE(Upsert({Note("n1"), Note("n2"), Note("n3")}).ok());
  v1::GetFeedRequest request;
  request.set_user_id("never-seen");
  request.set_count(2);
  v1::GetFeedResponse response;
  ASSERT_TRUE(Feed(request, &response).ok());
  ASSERT_EQ(response.items_size(), 2);
  for (const auto& item : response.items()) {
    ASSERT_GT(item.explanation().sources_size(), 0);
    for (const auto& source : item.explanation().sources()) {
      EXPECT_NE(source, "ann:user") << "an unknown user has no long-term vector";
    }
  }
}

TEST_F(ServerTest, GetFeed_FiltersRegionKindAndAvailabilityOnEveryItem) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 40; ++i) {
    v1::Item item = Note("n" + std::to_string(i));
    if (i % 4 == 0) item.add_regions("beijing");
    if (i % 4 == 1) item.set_kind(v1::ITEM_KIND_VIDEO);
    if (i % 4 == 2) item.set_unavailable(true);
    items.push_back(item);
  }
  ASSERT_TRUE(Upsert(items).ok());
  UpsertUser(UserWithVector("u1"));
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(100);
  request.mutable_context()->set_region("shanghai");
  request.add_kinds(v1::ITEM_KIND_NOTE);
  v1::GetFeedResponse response;
  ASSERT_TRUE(Feed(request, &response).ok());
  EXPECT_EQ(response.items_size(), 10);  // only i % 4 == 3 qualifies
  for (const auto& item : response.items()) {
    const int i = std::stoi(item.item_id().substr(1));
    EXPECT_EQ(i % 4, 3) << item.item_id();
  }
}

struct BadFeed {
  const char* name;
  std::function<void(v1::GetFeedRequest*)> mutate;
  const char* field;
};

TEST_F(ServerTest, GetFeed_BadInput_InvalidArgumentNamingTheField) {
  const BadFeed cases[] = {
      {"count zero", [](auto* r) { r->set_count(0); }, "count"},
      {"count over max", [](auto* r) { r->set_count(101); }, "count"},
      {"empty user", [](auto* r) { r->set_user_id(""); }, "user_id"},
      {"oversized user", [](auto* r) { r->set_user_id(std::string(129, 'u')); },
       "user_id"},
      {"unknown kind", [](auto* r) { r->add_kinds(static_cast<v1::ItemKind>(99)); },
       "kinds[0]"},
      {"bad token", [](auto* r) { r->set_page_token("not-a-token"); }, "page_token"},
      {"unknown surface",
       [](auto* r) { r->mutable_context()->set_surface(static_cast<v1::Surface>(42)); },
       "context.surface"},
  };
  for (const BadFeed& c : cases) {
    v1::GetFeedRequest request;
    request.set_user_id("u1");
    request.set_count(10);
    c.mutate(&request);
    v1::GetFeedResponse response;
    grpc::Status status = Feed(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(status.error_message().rfind(c.field, 0), 0u)
        << c.name << ": " << status.error_message();
  }
}

TEST_F(ServerTest, GetFeed_TokenOfAnotherUser_IsRefused) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 10; ++i) items.push_back(Note("n" + std::to_string(i)));
  ASSERT_TRUE(Upsert(items).ok());
  v1::GetFeedRequest request;
  request.set_user_id("u1");
  request.set_count(3);
  v1::GetFeedResponse response;
  ASSERT_TRUE(Feed(request, &response).ok());
  ASSERT_FALSE(response.next_page_token().empty());
  request.set_user_id("u2");
  request.set_page_token(response.next_page_token());
  grpc::Status status = Feed(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page_token"), std::string::npos);
}

TEST_F(ServerTest, UpsertItems_OneBadElement_RejectsWholeBatchAndNamesIt) {
  v1::Item wrong_dim = Note("bad");
  wrong_dim.mutable_embedding()->Truncate(3);
  v1::Item nan = Note("nan");
  nan.set_embedding(5, std::nanf(""));
  v1::Item inf = Note("inf");
  inf.set_embedding(0, INFINITY);
  v1::Item empty_id = Note("");
  v1::Item long_id = Note(std::string(129, 'x'));
  v1::Item bad_kind = Note("kind");
  bad_kind.set_kind(static_cast<v1::ItemKind>(99));
  v1::Item product_without_info = Note("p");
  product_without_info.set_kind(v1::ITEM_KIND_PRODUCT);
  const std::pair<v1::Item, const char*> cases[] = {
      {wrong_dim, "items[1].embedding"},
      {nan, "items[1].embedding[5]"},
      {inf, "items[1].embedding[0]"},
      {empty_id, "items[1].id"},
      {long_id, "items[1].id"},
      {bad_kind, "items[1].kind"},
      {product_without_info, "items[1].product"},
  };
  for (const auto& [bad, field] : cases) {
    grpc::Status status = Upsert({Note("good1"), bad, Note("good2")});
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(status.error_message().rfind(field, 0), 0u) << status.error_message();
  }
  EXPECT_EQ(ItemCount(), 0);
  grpc::ClientContext context;
  v1::GetRelatedRequest related;
  related.set_item_id("good1");
  related.set_count(5);
  v1::GetRelatedResponse response;
  EXPECT_EQ(server_->recommend->GetRelated(&context, related, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, RecordEvents_UnknownItem_NotFoundAndNothingRecorded) {
  ASSERT_TRUE(Upsert({Note("n1"), Note("n2")}).ok());
  v1::RecordEventsRequest request;
  for (const char* item : {"n1", "missing"}) {
    v1::Event* event = request.add_events();
    event->set_user_id("u1");
    event->set_item_id(item);
    event->set_type(v1::EVENT_TYPE_CLICK);
  }
  grpc::ClientContext context;
  v1::RecordEventsResponse response;
  grpc::Status status = server_->ingest->RecordEvents(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message().rfind("events[1].item_id", 0), 0u)
      << status.error_message();
  // n1 was not recorded as seen: the user's cold-start feed still has it.
  v1::GetFeedRequest feed;
  feed.set_user_id("u1");
  feed.set_count(2);
  v1::GetFeedResponse page;
  ASSERT_TRUE(Feed(feed, &page).ok());
  EXPECT_EQ(page.items_size(), 2);
}

TEST_F(ServerTest, RecordEvents_BadType_InvalidArgument) {
  ASSERT_TRUE(Upsert({Note("n1")}).ok());
  v1::RecordEventsRequest request;
  v1::Event* event = request.add_events();
  event->set_user_id("u1");
  event->set_item_id("n1");
  event->set_type(static_cast<v1::EventType>(77));
  grpc::ClientContext context;
  v1::RecordEventsResponse response;
  grpc::Status status = server_->ingest->RecordEvents(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("events[0].type", 0), 0u);
}

TEST_F(ServerTest, DeleteItems_DeletedItemNeverServedAgain) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 20; ++i) items.push_back(Note("n" + std::to_string(i)));
  ASSERT_TRUE(Upsert(items).ok());
  grpc::ClientContext context;
  v1::DeleteItemsRequest request;
  request.add_item_ids("n3");
  request.add_item_ids("n7");
  request.add_item_ids("never-existed");
  v1::DeleteItemsResponse response;
  ASSERT_TRUE(server_->ingest->DeleteItems(&context, request, &response).ok());
  EXPECT_EQ(response.deleted(), 2);
  UpsertUser(UserWithVector("u1"));
  v1::GetFeedRequest feed;
  feed.set_user_id("u1");
  feed.set_count(100);
  v1::GetFeedResponse page;
  ASSERT_TRUE(Feed(feed, &page).ok());
  EXPECT_EQ(page.items_size(), 18);
  for (const auto& item : page.items()) {
    EXPECT_NE(item.item_id(), "n3");
    EXPECT_NE(item.item_id(), "n7");
  }
}

TEST_F(ServerTest, GetRelated_ExcludesTheItemAndHonoursKinds) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 20; ++i) {
    v1::Item item = Note("n" + std::to_string(i));
    if (i % 2) item.set_kind(v1::ITEM_KIND_VIDEO);
    items.push_back(item);
  }
  ASSERT_TRUE(Upsert(items).ok());
  grpc::ClientContext context;
  v1::GetRelatedRequest request;
  request.set_item_id("n0");
  request.set_count(5);
  request.add_kinds(v1::ITEM_KIND_VIDEO);
  v1::GetRelatedResponse response;
  ASSERT_TRUE(server_->recommend->GetRelated(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 5);
  for (const auto& item : response.items()) {
    EXPECT_NE(item.item_id(), "n0");
    EXPECT_EQ(item.kind(), v1::ITEM_KIND_VIDEO);
  }
}

TEST_F(ServerTest, RankProducts_DuplicateId_InvalidArgumentNamingIt) {
  grpc::ClientContext context;
  v1::RankProductsRequest request;
  request.set_user_id("u1");
  for (const char* id : {"p1", "p2", "p1"}) request.add_product_ids(id);
  v1::RankProductsResponse response;
  grpc::Status status = server_->recommend->RankProducts(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("product_ids[2]", 0), 0u)
      << status.error_message();
}

}  // namespace
}  // namespace zhongcao

namespace zhongcao {
namespace {

// Past --max_concurrent_reads, a read call is refused at once with
// RESOURCE_EXHAUSTED naming the setting; the admitted ones are served.
TEST(AdmissionTest, ReadsPastTheLimit_AreRefusedWithResourceExhausted) {
  service::ServerOptions options;
  options.max_concurrent_reads = 1;
  testing::TestServer server(kDim, std::move(options));
  std::mt19937_64 rng(11);
  std::vector<v1::Item> items;
  for (int i = 0; i < 200; ++i) {
    v1::Item item;
    item.set_id("n" + std::to_string(i));
    item.set_kind(v1::ITEM_KIND_NOTE);
    for (float x : testing::RandomUnit(kDim, rng)) item.add_embedding(x);
    items.push_back(std::move(item));
  }
  ASSERT_TRUE(server.Upsert(std::move(items)).ok());
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      auto stub = v1::RecommendService::NewStub(server.channel());
      for (int i = 0; i < 40; ++i) {
        grpc::ClientContext context;
        v1::GetFeedRequest request;
        request.set_user_id("u" + std::to_string(t));
        request.set_count(10);
        v1::GetFeedResponse response;
        const grpc::Status status = stub->GetFeed(&context, request, &response);
        if (status.ok()) {
          ++ok;
        } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                   status.error_message().find("--max_concurrent_reads") !=
                       std::string::npos) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(refused.load(), 0);  // 8 callers at once cannot all fit in 1
  EXPECT_EQ(ok.load() + refused.load(), 8 * 40);

  // Operators see the refusals without reading client logs.
  auto admin = v1::AdminService::NewStub(server.channel());
  grpc::ClientContext context;
  v1::GetStatusResponse status;
  ASSERT_TRUE(admin->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.refused_reads(), refused.load());
}

}  // namespace
}  // namespace zhongcao
