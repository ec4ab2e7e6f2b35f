// The write path's dry runs (validate_only: every check, no write) and its
// embedding replacement for items and users (SetItemEmbeddings,
// SetUserEmbeddings): all or nothing, other fields kept, errors naming the
// element.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/node.h"
#include "tests/unit/import_test_data.h"

namespace zhongcao::service {
namespace {

namespace fs = std::filesystem;
constexpr int kDim = 8;

class NodeDryRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("node_dry_run_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    node_.reset();
    NodeOptions options;
    options.data_dir = dir_;
    options.index.dim = kDim;
    auto node = Node::Open(options);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
  }

  std::optional<v1::Item> Item(const std::string& id) {
    std::vector<std::string> ids = {id};
    auto records = node_->store().ReadItemsWithEmbeddings(ids);
    EXPECT_TRUE(records.ok());
    if ((*records)[0].item == nullptr) return std::nullopt;
    return *(*records)[0].item;
  }

  static std::vector<float> Vector(float x) { return std::vector<float>(kDim, x); }

  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeDryRunTest, ValidateOnly_GoodWrites_WriteNothing) {
  const testing::Catalog c = testing::MakeCatalog(kDim, 6, 3);
  ASSERT_TRUE(node_->UpsertCreators(c.creators, /*validate_only=*/true).ok());
  ASSERT_TRUE(node_->UpsertItems(c.items, /*validate_only=*/true).ok());
  ASSERT_TRUE(node_->UpsertUsers(c.users, /*validate_only=*/true).ok());
  EXPECT_EQ(node_->store().counts().items(), 0);
  EXPECT_EQ(node_->store().counts().users(), 0);
  EXPECT_EQ(node_->store().counts().creators(), 0);

  ASSERT_TRUE(node_->UpsertItems(c.items).ok());
  ASSERT_TRUE(node_->RecordEvents(c.events, /*validate_only=*/true).ok());
  auto user = node_->store().ReadUser("u0");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->history.events_size(), 0);
  std::vector<std::string> ids = {c.items[0].id(), c.items[0].id(), "nothing"};
  auto would = node_->DeleteItems(ids, /*validate_only=*/true);
  ASSERT_TRUE(would.ok());
  EXPECT_EQ(*would, 1);
  EXPECT_TRUE(Item(c.items[0].id()).has_value());
}

TEST_F(NodeDryRunTest, ValidateOnly_AnswersAsTheWriteWould) {
  testing::Catalog c = testing::MakeCatalog(kDim, 3, 1);
  c.items[2].add_embedding(1);
  absl::Status bad = node_->UpsertItems(c.items, /*validate_only=*/true);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "items[2].embedding: has 9 values, the service's dimension is 8");

  ASSERT_TRUE(node_->UpsertItems({c.items[0]}).ok());
  std::vector<v1::Event> events(3, c.events[0]);
  events[0].set_item_id(c.items[0].id());
  events[1].set_item_id("missing");
  events[2].set_item_id(c.items[0].id());
  events[2].set_type(v1::EVENT_TYPE_UNSPECIFIED);
  // Field checks of every event come before any existence check.
  bad = node_->RecordEvents(events, /*validate_only=*/true);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "events[2].type: must be set");
  events.pop_back();
  bad = node_->RecordEvents(events, /*validate_only=*/true);
  EXPECT_EQ(bad.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(bad.message(), "events[1].item_id: item \"missing\" does not exist");
}

TEST_F(NodeDryRunTest, SetItemEmbeddings_ReplacesOnlyTheEmbedding) {
  const testing::Catalog c = testing::MakeCatalog(kDim, 4, 0);
  ASSERT_TRUE(node_->UpsertItems(c.items).ok());
  std::vector<EmbeddingUpdate> updates = {{c.items[1].id(), Vector(0.25f)},
                                          {c.items[3].id(), Vector(-1)}};
  ASSERT_TRUE(node_->SetItemEmbeddings(updates, /*validate_only=*/true).ok());
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[1].id()), c.items[1]));

  ASSERT_TRUE(node_->SetItemEmbeddings(updates).ok());
  v1::Item expected = c.items[1];
  expected.mutable_embedding()->Assign(updates[0].values.begin(),
                                       updates[0].values.end());
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[1].id()), expected));
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[0].id()), c.items[0]));

  // Durable, and the index follows: the item is found by its new vector.
  Open();
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[1].id()), expected));
  auto hits = node_->index()->Search(Vector(-1), 1, {});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, c.items[3].id());
}

TEST_F(NodeDryRunTest, SetItemEmbeddings_AllOrNothingWithTheElementNamed) {
  const testing::Catalog c = testing::MakeCatalog(kDim, 2, 0);
  ASSERT_TRUE(node_->UpsertItems(c.items).ok());
  std::vector<EmbeddingUpdate> updates = {{c.items[0].id(), Vector(1)},
                                          {"ghost", Vector(1)}};
  absl::Status status = node_->SetItemEmbeddings(updates);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "embeddings[1].id: item \"ghost\" does not exist");
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[0].id()), c.items[0]));

  updates = {{c.items[0].id(), Vector(1)}, {c.items[1].id(), {1, 2, 3}}};
  status = node_->SetItemEmbeddings(updates);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "embeddings[1].values: has 3 values, the service's dimension is 8");
  updates = {{c.items[0].id(), Vector(1)}, {c.items[0].id(), Vector(2)}};
  status = node_->SetItemEmbeddings(updates);
  EXPECT_EQ(status.message(), "embeddings[1].id: repeats embeddings[0].id");
  updates = {{c.items[0].id(), {}}};
  EXPECT_EQ(node_->SetItemEmbeddings(updates).message(),
            "embeddings[0].values: has 0 values, the service's dimension is 8");
  EXPECT_EQ(node_->SetItemEmbeddings({}).message(), "embeddings: must not be empty");
  EXPECT_TRUE(testing::SameMessage(*Item(c.items[0].id()), c.items[0]));
}

TEST_F(NodeDryRunTest, SetUserEmbeddings_KeepsProfilesAndCreatesUnknownUsers) {
  const testing::Catalog c = testing::MakeCatalog(kDim, 1, 2);
  ASSERT_TRUE(node_->UpsertUsers(c.users).ok());
  std::vector<EmbeddingUpdate> updates = {{"u1", Vector(0.5f)}, {"newbie", Vector(2)}};
  ASSERT_TRUE(node_->SetUserEmbeddings(updates, /*validate_only=*/true).ok());
  EXPECT_EQ(node_->store().counts().users(), 2);
  ASSERT_TRUE(node_->SetUserEmbeddings(updates).ok());
  EXPECT_EQ(node_->store().counts().users(), 3);
  auto u1 = node_->store().ReadUser("u1");
  ASSERT_TRUE(u1.ok() && u1->user.has_value());
  v1::User expected = c.users[1];
  expected.mutable_embedding()->Assign(updates[0].values.begin(),
                                       updates[0].values.end());
  EXPECT_TRUE(testing::SameMessage(*u1->user, expected));
  auto newbie = node_->store().ReadUser("newbie");
  ASSERT_TRUE(newbie.ok() && newbie->user.has_value());
  v1::User bare;
  bare.set_id("newbie");
  bare.mutable_embedding()->Assign(updates[1].values.begin(), updates[1].values.end());
  EXPECT_TRUE(testing::SameMessage(*newbie->user, bare));
  // The lookalike index follows.
  auto hits = node_->user_index().Search(Vector(2), 1, {});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, "newbie");
}

}  // namespace
}  // namespace zhongcao::service
