#include "ranking/page/page_token.h"

#include "gtest/gtest.h"

namespace zhongcao::ranking {
namespace {

PageTokenState StateFor(absl::string_view user) {
  PageTokenState state;
  state.set_user_hash(PageTokenUserHash(user));
  state.set_page(3);
  for (uint32_t h : {7u, 11u, 13u}) state.add_served(h);
  return state;
}

TEST(PageToken, RoundTrip_KeepsServedItemsAndPage) {
  absl::StatusOr<PageTokenState> decoded =
      DecodePageToken(EncodePageToken(StateFor("u1")), "u1");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->page(), 3u);
  ASSERT_EQ(decoded->served_size(), 3);
  EXPECT_EQ(decoded->served(2), 13u);
}

TEST(PageToken, AnotherUsersToken_IsRefused) {
  absl::StatusOr<PageTokenState> decoded =
      DecodePageToken(EncodePageToken(StateFor("u1")), "u2");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("page_token"), absl::string_view::npos);
}

TEST(PageToken, EveryFlippedCharacter_IsRefused) {
  const std::string token = EncodePageToken(StateFor("u1"));
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(DecodePageToken(bad, "u1").ok()) << "position " << i;
  }
}

TEST(PageToken, GarbageAndTruncation_AreRefused) {
  const std::string token = EncodePageToken(StateFor("u1"));
  for (const std::string& bad : {std::string("!!!"), std::string("AAAA"),
                                 token.substr(0, token.size() / 2), token + "AA"}) {
    absl::StatusOr<PageTokenState> decoded = DecodePageToken(bad, "u1");
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace zhongcao::ranking
