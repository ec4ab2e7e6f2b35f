// Co-occurrence over gRPC: events recorded now change the next feed and
// GetRelated without any rebuild; an item without an embedding gets
// related items from co-occurrence.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_server.h"

namespace zhongcao {
namespace {

constexpr int kDim = 16;

bool FoundBy(const v1::ScoredItem& item, const std::string& source) {
  const auto& sources = item.explanation().sources();
  return std::find(sources.begin(), sources.end(), source) != sources.end();
}

class CovisitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::TestServer>(kDim);
    std::vector<v1::Item> items;
    for (int i = 0; i < 40; ++i) items.push_back(Note("n" + std::to_string(i)));
    // Far apart in embedding space: nothing but co-occurrence links them.
    items.push_back(Note("a"));
    items.push_back(Note("b"));
    v1::Item plain = Note("plain");
    plain.clear_embedding();
    items.push_back(plain);
    ASSERT_TRUE(server_->Upsert(items).ok());
  }

  v1::Item Note(const std::string& id) {
    v1::Item item;
    item.set_id(id);
    item.set_kind(v1::ITEM_KIND_NOTE);
    item.set_creator_id("creator-" + id);
    for (float x : testing::RandomUnit(kDim, rng_)) item.add_embedding(x);
    return item;
  }

  static v1::Event Click(const std::string& user, const std::string& item) {
    v1::Event event;
    event.set_user_id(user);
    event.set_item_id(item);
    event.set_type(v1::EVENT_TYPE_CLICK);
    return event;
  }

  v1::GetFeedResponse Feed(const std::string& user) {
    v1::GetFeedRequest request;
    request.set_user_id(user);
    request.set_count(10);
    v1::GetFeedResponse response;
    const grpc::Status status = server_->Feed(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Related(const std::string& item, v1::RelatedSignal signal,
                       v1::GetRelatedResponse* response) {
    grpc::ClientContext context;
    v1::GetRelatedRequest request;
    request.set_item_id(item);
    request.set_count(5);
    request.set_signal(signal);
    return server_->recommend->GetRelated(&context, request, response);
  }

  std::mt19937_64 rng_{7};
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(CovisitTest, RecordedSequences_ChangeTheNextFeedAndGetRelated) {
  ASSERT_TRUE(server_->Record({Click("me", "a")}).ok());
  const v1::GetFeedResponse before = Feed("me");
  for (const auto& item : before.items()) EXPECT_FALSE(FoundBy(item, "covisit"));

  // Several users view b right after a.
  std::vector<v1::Event> events;
  for (int u = 0; u < 5; ++u) {
    events.push_back(Click("u" + std::to_string(u), "a"));
    events.push_back(Click("u" + std::to_string(u), "b"));
  }
  ASSERT_TRUE(server_->Record(events).ok());

  // The next feed of the user who just viewed a leads with b, found by
  // co-occurrence; a itself stays out (seen).
  const v1::GetFeedResponse after = Feed("me");
  ASSERT_GT(after.items_size(), 0);
  EXPECT_EQ(after.items(0).item_id(), "b");
  EXPECT_TRUE(FoundBy(after.items(0), "covisit"));
  EXPECT_GT(after.items(0).explanation().contributions().at("covisit"), 0);
  for (const auto& item : after.items()) EXPECT_NE(item.item_id(), "a");

  // GetRelated by co-occurrence: b for a, and a (backward) for b.
  v1::GetRelatedResponse related;
  ASSERT_TRUE(Related("a", v1::RELATED_SIGNAL_COVISIT, &related).ok());
  ASSERT_EQ(related.items_size(), 1);
  EXPECT_EQ(related.items(0).item_id(), "b");
  EXPECT_TRUE(FoundBy(related.items(0), "covisit"));
  EXPECT_FLOAT_EQ(related.items(0).score(), 1);
  ASSERT_TRUE(Related("b", v1::RELATED_SIGNAL_COVISIT, &related).ok());
  ASSERT_EQ(related.items_size(), 1);
  EXPECT_EQ(related.items(0).item_id(), "a");

  // The default blends: b is there, and embedding neighbours too.
  related.Clear();
  ASSERT_TRUE(Related("a", v1::RELATED_SIGNAL_UNSPECIFIED, &related).ok());
  bool b_by_covisit = false;
  bool any_by_embedding = false;
  for (const auto& item : related.items()) {
    b_by_covisit |= item.item_id() == "b" && FoundBy(item, "covisit");
    any_by_embedding |= FoundBy(item, "ann:item");
  }
  EXPECT_TRUE(b_by_covisit);
  EXPECT_TRUE(any_by_embedding);
  // EMBEDDING alone knows nothing of the events.
  related.Clear();
  ASSERT_TRUE(Related("a", v1::RELATED_SIGNAL_EMBEDDING, &related).ok());
  EXPECT_EQ(related.items_size(), 5);
  for (const auto& item : related.items()) EXPECT_FALSE(FoundBy(item, "covisit"));
}

TEST_F(CovisitTest, ItemWithoutEmbedding_RelatedFromCoOccurrence) {
  v1::GetRelatedResponse related;
  EXPECT_EQ(Related("plain", v1::RELATED_SIGNAL_EMBEDDING, &related).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Nobody has engaged with it yet: nothing related, but not an error.
  ASSERT_TRUE(Related("plain", v1::RELATED_SIGNAL_BLEND, &related).ok());
  EXPECT_EQ(related.items_size(), 0);

  ASSERT_TRUE(server_->Record({Click("u", "plain"), Click("u", "b")}).ok());
  related.Clear();
  ASSERT_TRUE(Related("plain", v1::RELATED_SIGNAL_UNSPECIFIED, &related).ok());
  ASSERT_EQ(related.items_size(), 1);
  EXPECT_EQ(related.items(0).item_id(), "b");
  EXPECT_EQ(related.items(0).explanation().reason().rfind("often chosen together", 0),
            0u);
}

TEST_F(CovisitTest, DeletedNeighbour_IsNotServed) {
  ASSERT_TRUE(server_->Record({Click("u", "a"), Click("u", "b")}).ok());
  grpc::ClientContext context;
  v1::DeleteItemsRequest request;
  request.add_item_ids("b");
  v1::DeleteItemsResponse response;
  ASSERT_TRUE(server_->ingest->DeleteItems(&context, request, &response).ok());
  v1::GetRelatedResponse related;
  ASSERT_TRUE(Related("a", v1::RELATED_SIGNAL_COVISIT, &related).ok());
  EXPECT_EQ(related.items_size(), 0);
}

TEST_F(CovisitTest, UnknownSignal_IsRefusedNamingTheField) {
  v1::GetRelatedResponse related;
  const grpc::Status status = Related("a", static_cast<v1::RelatedSignal>(42), &related);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("signal", 0), 0u) << status.error_message();
}

}  // namespace
}  // namespace zhongcao
