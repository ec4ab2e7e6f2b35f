#include "store/user_wire.h"

#include <string>

#include "gtest/gtest.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::store {
namespace {

v1::User FullUser(const std::string& region) {
  v1::User user;
  user.set_id("u1");
  for (int i = 0; i < 64; ++i) user.add_embedding(0.25f * static_cast<float>(i));
  user.set_region(region);
  user.set_locale("zh-CN");
  user.add_following_creator_ids("c1");
  user.add_blocked_creator_ids("c2");
  user.add_segments("new");
  return user;
}

TEST(UserRegion, ReadsTheRegionAmongEveryOtherField) {
  // The region views into the bytes, so they outlive it.
  const std::string bytes = FullUser("cn-shanghai").SerializeAsString();
  absl::StatusOr<absl::string_view> region = UserRegion(bytes);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(*region, "cn-shanghai");
}

TEST(UserRegion, UnsetIsEmpty) {
  const std::string bytes = FullUser("").SerializeAsString();
  absl::StatusOr<absl::string_view> region = UserRegion(bytes);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(*region, "");
  absl::StatusOr<absl::string_view> empty = UserRegion("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
}

TEST(UserRegion, TheLastOccurrenceWinsAsInProtobuf) {
  // Concatenated messages merge: a later region replaces an earlier one.
  const std::string bytes = FullUser("cn-beijing").SerializeAsString() +
                            FullUser("cn-hangzhou").SerializeAsString();
  v1::User parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  absl::StatusOr<absl::string_view> region = UserRegion(bytes);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(*region, "cn-hangzhou");
  EXPECT_EQ(*region, parsed.region());
}

TEST(UserRegion, SkipsUnknownFieldsAndRefusesTruncatedBytes) {
  const std::string bytes = FullUser("cn-shenzhen").SerializeAsString();
  // Field 20, a varint, which this version does not know. The region views
  // into the bytes, so they outlive it.
  const std::string extended = bytes + std::string("\xa0\x01\x05", 3);
  absl::StatusOr<absl::string_view> region = UserRegion(extended);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(*region, "cn-shenzhen");
  EXPECT_EQ(UserRegion(bytes.substr(0, bytes.size() - 2)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace zhongcao::store
