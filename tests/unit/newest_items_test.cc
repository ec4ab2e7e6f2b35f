// NewestItemsMemo's contract: it answers only what a kept scan holds in
// full, and nothing kept before an item write.
#include "store/newest_items.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zhongcao::store {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

// Items t<time> at times 900, 800, ..., newest first.
std::vector<TimedItemId> Items(int n) {
  std::vector<TimedItemId> items;
  for (int i = 0; i < n; ++i) {
    const int64_t t = 900 - 100 * i;
    items.push_back({"t" + std::to_string(t), t});
  }
  return items;
}

std::optional<std::vector<std::string>> Ids(const NewestItemsMemo& memo, int limit,
                                            int64_t since_ms) {
  std::optional<std::vector<TimedItemId>> found = memo.Find(limit, since_ms);
  if (!found) return std::nullopt;
  std::vector<std::string> ids;
  for (const TimedItemId& id : *found) ids.push_back(id.item_id);
  return ids;
}

TEST(NewestItemsMemo, AnswersWhatAKeptScanHoldsInFull) {
  NewestItemsMemo memo;
  EXPECT_EQ(memo.Find(3, 0), std::nullopt);
  // A scan cut at its limit of 3: items older than t700 may exist.
  memo.Put(memo.Generation(), {3, 0, Items(3)});
  EXPECT_THAT(Ids(memo, 3, 0), Optional(ElementsAre("t900", "t800", "t700")));
  EXPECT_THAT(Ids(memo, 2, 0), Optional(ElementsAre("t900", "t800")));
  EXPECT_THAT(Ids(memo, 3, 750), Optional(ElementsAre("t900", "t800")));
  EXPECT_THAT(Ids(memo, 3, 1000), Optional(ElementsAre()));
  EXPECT_EQ(memo.Find(4, 0), std::nullopt);    // beyond the cut
  EXPECT_EQ(memo.Find(3, -10), std::nullopt);  // older than the scan looked

  // A scan that ended before its limit holds everything since its start.
  memo.Put(memo.Generation(), {10, 500, Items(5)});
  EXPECT_THAT(Ids(memo, 50, 650), Optional(ElementsAre("t900", "t800", "t700")));
}

TEST(NewestItemsMemo, ForgetsEverythingAtAWrite) {
  NewestItemsMemo memo;
  const uint64_t before = memo.Generation();
  memo.Put(before, {3, 0, Items(3)});
  memo.Invalidate();
  EXPECT_EQ(memo.Find(3, 0), std::nullopt);
  // A scan that began before the write may have missed it: not kept.
  memo.Put(before, {3, 0, Items(3)});
  EXPECT_EQ(memo.Find(3, 0), std::nullopt);
  memo.Put(memo.Generation(), {3, 0, Items(2)});
  EXPECT_THAT(Ids(memo, 3, 0), Optional(ElementsAre("t900", "t800")));
}

}  // namespace
}  // namespace zhongcao::store
