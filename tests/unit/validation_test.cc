#include "service/validation.h"

#include <cmath>

#include "gtest/gtest.h"

namespace zhongcao::service {
namespace {

Limits SmallLimits() {
  Limits limits;
  limits.dim = 4;
  return limits;
}

v1::Item GoodNote() {
  v1::Item item;
  item.set_id("n1");
  item.set_kind(v1::ITEM_KIND_NOTE);
  for (float x : {0.5f, 0.5f, 0.5f, 0.5f}) item.add_embedding(x);
  return item;
}

void ExpectInvalid(const absl::Status& status, absl::string_view field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message().substr(0, field.size()), field) << status;
}

TEST(Validation, Id_EmptyOversizedAndControlCharactersRefused) {
  const Limits limits = SmallLimits();
  EXPECT_TRUE(ValidateId("p-123_\xe4\xb8\xad", "id", limits).ok());
  ExpectInvalid(ValidateId("", "id", limits), "id");
  ExpectInvalid(ValidateId(std::string(129, 'a'), "id", limits), "id");
  EXPECT_TRUE(ValidateId(std::string(128, 'a'), "id", limits).ok());
  ExpectInvalid(ValidateId(std::string("a\0b", 3), "id", limits), "id");
  ExpectInvalid(ValidateId("a b", "id", limits), "id");
}

TEST(Validation, Item_EmbeddingDimensionAndFiniteness) {
  const Limits limits = SmallLimits();
  EXPECT_TRUE(ValidateItem(GoodNote(), "items[0]", limits).ok());
  v1::Item no_vector = GoodNote();
  no_vector.clear_embedding();
  EXPECT_TRUE(ValidateItem(no_vector, "items[0]", limits).ok());
  v1::Item short_vector = GoodNote();
  short_vector.mutable_embedding()->RemoveLast();
  ExpectInvalid(ValidateItem(short_vector, "items[2]", limits), "items[2].embedding");
  v1::Item nan = GoodNote();
  nan.set_embedding(1, std::nanf(""));
  ExpectInvalid(ValidateItem(nan, "items[0]", limits), "items[0].embedding[1]");
  v1::Item inf = GoodNote();
  inf.set_embedding(3, -INFINITY);
  ExpectInvalid(ValidateItem(inf, "items[0]", limits), "items[0].embedding[3]");
}

TEST(Validation, Item_KindsAndProducts) {
  const Limits limits = SmallLimits();
  v1::Item unset = GoodNote();
  unset.set_kind(v1::ITEM_KIND_UNSPECIFIED);
  ExpectInvalid(ValidateItem(unset, "items[0]", limits), "items[0].kind");
  v1::Item unknown = GoodNote();
  unknown.set_kind(static_cast<v1::ItemKind>(12));
  ExpectInvalid(ValidateItem(unknown, "items[0]", limits), "items[0].kind");
  v1::Item product = GoodNote();
  product.set_kind(v1::ITEM_KIND_PRODUCT);
  ExpectInvalid(ValidateItem(product, "items[0]", limits), "items[0].product");
  product.mutable_product()->set_stock(-1);
  ExpectInvalid(ValidateItem(product, "items[0]", limits), "items[0].product.stock");
  product.mutable_product()->set_stock(1);
  product.mutable_product()->set_rating(7);
  ExpectInvalid(ValidateItem(product, "items[0]", limits), "items[0].product.rating");
  product.mutable_product()->set_rating(4.5);
  EXPECT_TRUE(ValidateItem(product, "items[0]", limits).ok());
  product.add_linked_product_ids("p2");
  ExpectInvalid(ValidateItem(product, "items[0]", limits), "items[0].linked_product_ids");
  v1::Item note_with_product = GoodNote();
  note_with_product.mutable_product()->set_stock(1);
  ExpectInvalid(ValidateItem(note_with_product, "items[0]", limits), "items[0].product");
}

TEST(Validation, Event_TypeUserItemAndTimes) {
  const Limits limits = SmallLimits();
  v1::Event event;
  event.set_user_id("u1");
  event.set_item_id("n1");
  event.set_type(v1::EVENT_TYPE_PURCHASE);
  EXPECT_TRUE(ValidateEvent(event, "events[0]", limits).ok());
  v1::Event unset = event;
  unset.set_type(v1::EVENT_TYPE_UNSPECIFIED);
  ExpectInvalid(ValidateEvent(unset, "events[0]", limits), "events[0].type");
  v1::Event unknown = event;
  unknown.set_type(static_cast<v1::EventType>(40));
  ExpectInvalid(ValidateEvent(unknown, "events[0]", limits), "events[0].type");
  v1::Event no_user = event;
  no_user.clear_user_id();
  ExpectInvalid(ValidateEvent(no_user, "events[4]", limits), "events[4].user_id");
  v1::Event negative = event;
  negative.set_timestamp_ms(-5);
  ExpectInvalid(ValidateEvent(negative, "events[0]", limits), "events[0].timestamp_ms");
}

TEST(Validation, UserAndCreatorLists) {
  const Limits limits = SmallLimits();
  v1::User user;
  user.set_id("u1");
  user.add_following_creator_ids("c1");
  user.add_following_creator_ids("");
  ExpectInvalid(ValidateUser(user, "users[0]", limits),
                "users[0].following_creator_ids[1]");
  v1::Creator creator;
  creator.set_id("c1");
  creator.set_tier(static_cast<v1::CreatorTier>(9));
  ExpectInvalid(ValidateCreator(creator, "creators[0]", limits), "creators[0].tier");
}

TEST(Validation, BatchSize_EmptyAndOversizedRefused) {
  ExpectInvalid(ValidateBatchSize(0, 10, "items"), "items");
  ExpectInvalid(ValidateBatchSize(11, 10, "items"), "items");
  EXPECT_TRUE(ValidateBatchSize(10, 10, "items").ok());
}

}  // namespace
}  // namespace zhongcao::service
