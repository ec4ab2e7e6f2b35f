// ExposureFromRow: an exposure log row reads back as the API's exposure,
// with each item's features named, whether it was stored as a
// store::ExposureRow or, before that message, as a bare v1::Exposure.
#include "store/exposure_row.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zhongcao::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

v1::Exposure TwoItems() {
  v1::Exposure exposure;
  exposure.set_request_id("r1");
  exposure.set_user_id("alice");
  exposure.set_logged_at_ms(1234);
  (*exposure.mutable_arms())["diversity"] = "mmr";
  for (const char* id : {"i1", "i2"}) {
    v1::ExposedItem* item = exposure.add_items();
    item->set_item_id(id);
    item->set_position(exposure.items_size() - 1);
    item->add_sources("covisit");
  }
  return exposure;
}

ExposureRow RowOf(const v1::Exposure& exposure) {
  ExposureRow row;
  *row.mutable_exposure() = exposure;
  row.add_feature_names("engagement");
  row.add_feature_names("covisit");
  for (float first : {0.25f, 0.75f}) {
    PackedFeatures* features = row.add_item_features();
    features->add_values(first);
    features->add_values(first + 0.25f);
  }
  return row;
}

TEST(ExposureFromRow, NamesEachItemsPackedFeatures) {
  absl::StatusOr<v1::Exposure> read =
      ExposureFromRow(RowOf(TwoItems()).SerializeAsString());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->request_id(), "r1");
  EXPECT_EQ(read->logged_at_ms(), 1234);
  EXPECT_EQ(read->arms().at("diversity"), "mmr");
  ASSERT_EQ(read->items_size(), 2);
  EXPECT_EQ(read->items(1).item_id(), "i2");
  EXPECT_EQ(read->items(1).sources(0), "covisit");
  EXPECT_THAT(read->items(0).features(),
              UnorderedElementsAre(Pair("engagement", 0.25f), Pair("covisit", 0.5f)));
  EXPECT_THAT(read->items(1).features(),
              UnorderedElementsAre(Pair("engagement", 0.75f), Pair("covisit", 1.0f)));
}

TEST(ExposureFromRow, ReadsARowStoredAsABareExposure) {
  v1::Exposure old = TwoItems();
  (*old.mutable_items(0)->mutable_features())["engagement"] = 0.125f;
  absl::StatusOr<v1::Exposure> read = ExposureFromRow(old.SerializeAsString());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), old.SerializeAsString());
}

TEST(ExposureFromRow, RejectsFeaturesThatDoNotFitTheRow) {
  ExposureRow extra_list = RowOf(TwoItems());
  extra_list.add_item_features()->add_values(1);
  absl::StatusOr<v1::Exposure> read = ExposureFromRow(extra_list.SerializeAsString());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(read.status().message(), HasSubstr("3 feature lists for 2 items"));

  ExposureRow unnamed = RowOf(TwoItems());
  unnamed.mutable_item_features(1)->add_values(2);
  read = ExposureFromRow(unnamed.SerializeAsString());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);

  read = ExposureFromRow(std::string("\xff\xff\xff", 3));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace zhongcao::store
