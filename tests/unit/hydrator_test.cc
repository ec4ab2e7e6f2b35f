// FeatureHydrator on a real feature store: items, counters, creators and
// linked-product signals in batched reads.
#include <filesystem>

#include "gtest/gtest.h"
#include "index/vector_index.h"
#include "ranking/hydrator/feature_hydrator.h"

namespace zhongcao::ranking {
namespace {

namespace fs = std::filesystem;

class HydratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) / ("hydrator_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    store::StoreOptions options;
    options.dir = dir_;
    options.sync_writes = false;
    auto store = store::FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static v1::Item Product(const std::string& id, int stock) {
    v1::Item item;
    item.set_id(id);
    item.set_kind(v1::ITEM_KIND_PRODUCT);
    item.mutable_product()->set_stock(stock);
    return item;
  }

  fs::path dir_;
  std::unique_ptr<store::FeatureStore> store_;
};

TEST_F(HydratorTest, FillsItemsCountersCreatorsAndLinkedProducts) {
  v1::Item note;
  note.set_id("n1");
  note.set_kind(v1::ITEM_KIND_NOTE);
  note.set_creator_id("c1");
  for (const char* p : {"p1", "p2", "p3", "gone"}) note.add_linked_product_ids(p);
  const std::vector<v1::Item> items = {note, Product("p1", 5), Product("p2", 0),
                                       Product("p3", 2)};
  ASSERT_TRUE(store_->UpsertItems(items).ok());
  v1::Creator creator;
  creator.set_id("c1");
  creator.set_tier(v1::CREATOR_TIER_KOC);
  ASSERT_TRUE(store_->UpsertCreators(std::vector<v1::Creator>{creator}).ok());
  v1::Event purchase;
  purchase.set_user_id("u1");
  purchase.set_item_id("p3");
  purchase.set_type(v1::EVENT_TYPE_PURCHASE);
  v1::Event click = purchase;
  click.set_item_id("n1");
  click.set_type(v1::EVENT_TYPE_CLICK);
  ASSERT_TRUE(store_->RecordEvents(std::vector<v1::Event>{purchase, click}).ok());

  FeedContext context;
  std::vector<Candidate> candidates(2);
  candidates[0].item_id = "n1";
  candidates[1].item_id = "deleted";
  ASSERT_TRUE(FeatureHydrator(*store_).Hydrate(&context, &candidates).ok());
  const Candidate& c = candidates[0];
  ASSERT_NE(c.item, nullptr);
  EXPECT_EQ(c.item->linked_product_ids_size(), 4);
  EXPECT_EQ(c.counters->clicks(), 1u);
  ASSERT_NE(c.creator, nullptr);
  EXPECT_EQ(c.creator->tier(), v1::CREATOR_TIER_KOC);
  EXPECT_EQ(c.linked_in_stock, 2);  // p1 and p3; p2 is out of stock, "gone" unknown
  EXPECT_GT(c.linked_purchase_signal, 0.0f);  // p3 was bought
  EXPECT_EQ(candidates[1].item, nullptr);
  EXPECT_EQ(candidates[1].creator, nullptr);
}

// Stored items come without embeddings; the candidates take theirs from the
// index version the request searches, which may hold other vectors than the
// store (an offline build from a newer model).
TEST_F(HydratorTest, EmbeddingsComeFromTheRequestsIndexVersion) {
  v1::Item with = Product("p1", 5);
  with.add_embedding(1.0f);
  with.add_embedding(0.0f);
  v1::Item without = Product("p2", 5);
  ASSERT_TRUE(store_->UpsertItems(std::vector<v1::Item>{with, without}).ok());
  index::IndexOptions options;
  options.dim = 2;
  options.factory = "Flat";
  auto index = index::VectorIndex::Create(options);
  ASSERT_TRUE(index.ok()) << index.status();
  index::IndexChange change;
  change.id = "p1";
  change.vector = {0.6f, 0.8f};
  ASSERT_TRUE((*index)->Apply(std::vector<index::IndexChange>{change}, 1).ok());

  FeedContext context;
  context.item_index = std::make_shared<index::IndexVersion>(
      index::IndexVersion{"v1", std::shared_ptr<index::VectorIndex>(std::move(*index))});
  std::vector<Candidate> candidates(3);
  candidates[0].item_id = "p1";
  candidates[1].item_id = "p2";
  candidates[2].item_id = "unknown";
  ASSERT_TRUE(FeatureHydrator(*store_).Hydrate(&context, &candidates).ok());
  ASSERT_NE(candidates[0].item, nullptr);
  EXPECT_EQ(candidates[0].item->embedding_size(), 0);
  EXPECT_EQ(
      std::vector<float>(candidates[0].embedding.begin(), candidates[0].embedding.end()),
      (std::vector<float>{0.6f, 0.8f}));
  ASSERT_NE(candidates[1].item, nullptr);
  EXPECT_TRUE(candidates[1].embedding.empty());
  EXPECT_TRUE(candidates[2].embedding.empty());
}

}  // namespace
}  // namespace zhongcao::ranking
