// The write path over a real data directory: store and index in step,
// durable across reopen, snapshots with change-log replay, and refusal of a
// data directory of another dimension.
#include "service/node.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "gtest/gtest.h"

namespace zhongcao::service {
namespace {

namespace fs = std::filesystem;
constexpr int kDim = 8;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("node_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Node> Open(int dim = kDim, bool warm_item_cache = false) {
    NodeOptions options;
    options.data_dir = dir_;
    options.index.dim = dim;
    options.warm_item_cache = warm_item_cache;
    auto node = Node::Open(options);
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() ? *std::move(node) : nullptr;
  }

  v1::Item Note(const std::string& id) {
    std::normal_distribution<float> normal;
    v1::Item item;
    item.set_id(id);
    item.set_kind(v1::ITEM_KIND_NOTE);
    item.set_created_at_ms(1000);
    for (int i = 0; i < kDim; ++i) item.add_embedding(normal(rng_));
    return item;
  }

  std::vector<v1::Item> Notes(int from, int to) {
    std::vector<v1::Item> items;
    for (int i = from; i < to; ++i) items.push_back(Note("n" + std::to_string(i)));
    return items;
  }

  static std::vector<std::string> Ids(const Node& node, int k) {
    std::vector<float> query(kDim, 0.3f);
    auto hits = node.index()->Search(query, k, {});
    EXPECT_TRUE(hits.ok()) << hits.status();
    std::vector<std::string> ids;
    for (const auto& hit : *hits) ids.push_back(hit.id);
    return ids;
  }

  std::mt19937_64 rng_{3};
  fs::path dir_;
};

TEST_F(NodeTest, WarmItemCache_FillsInTheBackgroundAndStopsWithTheNode) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 300)).ok());
  node.reset();
  // Closed at once: the warming thread stops with the node.
  node = Open(kDim, /*warm_item_cache=*/true);
  node.reset();
  node = Open(kDim, /*warm_item_cache=*/true);
  // Warming fills the cache; without it, a reopened node starts empty.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (node->store().health().item_cache_bytes == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(node->store().health().item_cache_bytes, 0);
  node.reset();
  node = Open();
  EXPECT_EQ(node->store().health().item_cache_bytes, 0);
}

TEST_F(NodeTest, Reopen_WithoutSnapshot_ServesEveryAcknowledgedItem) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 40)).ok());
  const std::vector<std::string> before = Ids(*node, 40);
  node.reset();  // no snapshot: as after a crash
  node = Open();
  EXPECT_EQ(node->index()->Stats().live, 40);
  EXPECT_EQ(node->store().counts().items(), 40);
  EXPECT_EQ(Ids(*node, 40), before);
}

TEST_F(NodeTest, Reopen_AfterSnapshot_ReplaysLaterUpsertsAndDeletes) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 30)).ok());
  ASSERT_TRUE(node->BuildIndex().ok());
  ASSERT_TRUE(node->SaveSnapshot().ok());
  ASSERT_TRUE(node->UpsertItems(Notes(30, 40)).ok());
  const std::string deleted[] = {"n3", "n35"};
  ASSERT_EQ(*node->DeleteItems(deleted), 2);
  const std::vector<std::string> before = Ids(*node, 50);
  node.reset();
  node = Open();
  EXPECT_EQ(node->index()->Stats().live, 38);
  const std::vector<std::string> after = Ids(*node, 50);
  EXPECT_EQ(after, before);
  for (const std::string& id : after) {
    EXPECT_NE(id, "n3");
    EXPECT_NE(id, "n35");
  }
}

TEST_F(NodeTest, Reopen_CorruptSnapshot_RebuildsFromTheStore) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 25)).ok());
  ASSERT_TRUE(node->SaveSnapshot().ok());
  const std::vector<std::string> before = Ids(*node, 10);
  node.reset();
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "index")) {
    if (entry.path().filename() == "vectors.f32") {
      std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(17);
      f.put('\x7f');
    }
  }
  node = Open();
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->index()->Stats().live, 25);
  EXPECT_EQ(Ids(*node, 10), before);
}

TEST_F(NodeTest, Open_AnotherDimension_IsRefused) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 3)).ok());
  node.reset();
  NodeOptions options;
  options.data_dir = dir_;
  options.index.dim = kDim * 2;
  auto other = Node::Open(options);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("dimension"), absl::string_view::npos);
}

TEST_F(NodeTest, UpsertItems_BadElement_WritesNothing) {
  auto node = Open();
  std::vector<v1::Item> items = Notes(0, 3);
  items[2].mutable_embedding()->RemoveLast();
  absl::Status status = node->UpsertItems(items);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().substr(0, 18), "items[2].embedding");
  EXPECT_EQ(node->store().counts().items(), 0);
  EXPECT_EQ(node->index()->Stats().live, 0);
}

TEST_F(NodeTest, UpsertItems_WithoutEmbedding_StoredButNotSearchable) {
  auto node = Open();
  std::vector<v1::Item> items = Notes(0, 2);
  items[1].clear_embedding();
  ASSERT_TRUE(node->UpsertItems(items).ok());
  EXPECT_EQ(node->store().counts().items(), 2);
  EXPECT_EQ(Ids(*node, 10), std::vector<std::string>{"n0"});
  // Giving it an embedding later makes it searchable.
  items = Notes(1, 2);
  ASSERT_TRUE(node->UpsertItems(items).ok());
  EXPECT_EQ(Ids(*node, 10).size(), 2u);
}

TEST_F(NodeTest, RecordEvents_FarFutureTimestamp_IsRefused) {
  auto node = Open();
  ASSERT_TRUE(node->UpsertItems(Notes(0, 1)).ok());
  v1::Event event;
  event.set_user_id("u1");
  event.set_item_id("n0");
  event.set_type(v1::EVENT_TYPE_LIKE);
  event.set_timestamp_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         30LL * 24 * 3600 * 1000);
  absl::Status status = node->RecordEvents({event});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().substr(0, 22), "events[0].timestamp_ms");
}

// Existence is answered by the index for embedded items and by the store
// for the rest; both must agree with what was written and deleted.
TEST_F(NodeTest, RecordEvents_UnembeddedAndDeletedItems_NamesTheFirstMissing) {
  auto node = Open();
  std::vector<v1::Item> items = Notes(0, 4);
  items[1].clear_embedding();
  ASSERT_TRUE(node->UpsertItems(items).ok());
  const std::vector<std::string> deleted = {"n2", "n3"};
  ASSERT_TRUE(node->DeleteItems(deleted).ok());
  auto event = [](const std::string& item_id) {
    v1::Event e;
    e.set_user_id("u1");
    e.set_item_id(item_id);
    e.set_type(v1::EVENT_TYPE_CLICK);
    return e;
  };
  EXPECT_TRUE(node->RecordEvents({event("n0"), event("n1")}).ok());
  for (const std::string missing : {"n2", "zz"}) {
    absl::Status status = node->RecordEvents({event("n1"), event("n0"), event(missing)});
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << missing;
    EXPECT_EQ(status.message(),
              "events[2].item_id: item \"" + missing + "\" does not exist");
  }
  // Of several missing ids, the first is named.
  absl::Status status = node->RecordEvents({event("n0"), event("n3"), event("zz")});
  EXPECT_EQ(status.message(), "events[1].item_id: item \"n3\" does not exist");
  const std::vector<std::string> n0 = {"n0"};
  EXPECT_EQ(node->store().ReadItems(n0).value()[0].counters->clicks(), 1u);
}

TEST_F(NodeTest, OutOfStockProduct_IsFilteredInsideTheSearch) {
  auto node = Open();
  v1::Item product = Note("p1");
  product.set_kind(v1::ITEM_KIND_PRODUCT);
  product.mutable_product()->set_stock(0);
  ASSERT_TRUE(node->UpsertItems({product, Note("n1")}).ok());
  index::SearchFilter available;
  available.available_only = true;
  auto hits = node->index()->Search(std::vector<float>(kDim, 0.1f), 10, available);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, "n1");
  product.mutable_product()->set_stock(5);
  ASSERT_TRUE(node->UpsertItems({product}).ok());
  hits = node->index()->Search(std::vector<float>(kDim, 0.1f), 10, available);
  EXPECT_EQ(hits->size(), 2u);
}

}  // namespace
}  // namespace zhongcao::service
