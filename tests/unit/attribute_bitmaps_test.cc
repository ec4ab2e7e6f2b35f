// Unit tests of index::AttributeBitmaps, index::ExactTopK and index::RowBlocks, the
// pieces a filtered search is built from.
#include "index/attribute_bitmaps.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/exact_scan.h"
#include "index/row_blocks.h"
#include "tests/unit/index_builders.h"

namespace zhongcao::index {
namespace {

using namespace ::zhongcao::index::testing;  // NOLINT: test builders

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<uint32_t> ToVector(const Roaring& bitmap) {
  std::vector<uint32_t> out;
  for (uint32_t id : bitmap) out.push_back(id);
  return out;
}

std::vector<uint32_t> ToVector(const std::shared_ptr<const Roaring>& bitmap) {
  return ToVector(*bitmap);
}

// 0: kind 1, everywhere, available
// 1: kind 2, {cn}, available
// 2: kind 1, {cn, sg}, unavailable
// 3: kind 3, {sg}, available
AttributeBitmaps Sample() {
  AttributeBitmaps bitmaps;
  bitmaps.Set(0, Attrs(1, {}, true));
  bitmaps.Set(1, Attrs(2, {"cn"}, true));
  bitmaps.Set(2, Attrs(1, {"cn", "sg"}, false));
  bitmaps.Set(3, Attrs(3, {"sg"}, true));
  return bitmaps;
}

TEST(AttributeBitmaps, Allowed_IsKeptUntilAnAttributeChanges) {
  AttributeBitmaps b = Sample();
  const std::shared_ptr<const Roaring> first = b.Allowed(RegionFilter("cn"));
  EXPECT_EQ(b.Allowed(RegionFilter("cn")), first);  // the same answer, not a new one
  EXPECT_NE(b.Allowed(RegionFilter("sg")), first);

  b.Set(4, Attrs(1, {"cn"}, true));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 1, 2, 4));
  EXPECT_THAT(ToVector(first), ElementsAre(0, 1, 2));  // held answers stay as they were
  b.Kill(1);
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 2, 4));

  // A copy answers from its own bitmaps once they part ways.
  AttributeBitmaps copy = b;
  copy.Kill(0);
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 2, 4));
  EXPECT_THAT(ToVector(copy.Allowed(RegionFilter("cn"))), ElementsAre(2, 4));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 2, 4));
}

TEST(AttributeBitmaps, Allowed_EachFilterField) {
  const AttributeBitmaps b = Sample();
  EXPECT_THAT(ToVector(b.Allowed({})), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(ToVector(b.Allowed(KindFilter(1u << 1))), ElementsAre(0, 2));
  EXPECT_THAT(ToVector(b.Allowed(KindFilter((1u << 2) | (1u << 3)))), ElementsAre(1, 3));
  EXPECT_THAT(ToVector(b.Allowed(KindFilter(0))), IsEmpty());
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 1, 2));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("sg"))), ElementsAre(0, 2, 3));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("unknown"))), ElementsAre(0));
  EXPECT_THAT(ToVector(b.Allowed(AvailableFilter())), ElementsAre(0, 1, 3));
  EXPECT_THAT(ToVector(b.Allowed(MakeFilter(1u << 1, "sg", true))), ElementsAre(0));
}

TEST(AttributeBitmaps, Set_ReplacesPreviousAttributes) {
  AttributeBitmaps b = Sample();
  b.Set(2, Attrs(4, {"my"}, true));
  EXPECT_THAT(ToVector(b.Allowed(KindFilter(1u << 1))), ElementsAre(0));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("cn"))), ElementsAre(0, 1));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("my"))), ElementsAre(0, 2));
  EXPECT_THAT(ToVector(b.Allowed(AvailableFilter())), ElementsAre(0, 1, 2, 3));
  const ItemAttributes got = b.Get(2);
  EXPECT_EQ(got.kind, 4);
  EXPECT_THAT(got.regions, ElementsAre("my"));
  EXPECT_TRUE(got.available);
  EXPECT_EQ(b.LiveCount(), 4u);
}

TEST(AttributeBitmaps, Kill_NeverAllowedAgainUnderAnyFilter) {
  AttributeBitmaps b = Sample();
  b.Kill(0);
  b.Kill(2);
  EXPECT_FALSE(b.IsLive(0));
  EXPECT_TRUE(b.IsLive(1));
  EXPECT_EQ(b.LiveCount(), 2u);
  EXPECT_EQ(b.LiveCountIn(0, 2), 1u);
  EXPECT_EQ(b.LiveCountIn(2, 4), 1u);
  EXPECT_EQ(b.LiveCountIn(3, 3), 0u);
  EXPECT_THAT(ToVector(b.Allowed({})), ElementsAre(1, 3));
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("unknown"))), IsEmpty());
  EXPECT_THAT(ToVector(b.Allowed(KindFilter(1u << 1))), IsEmpty());
  EXPECT_THAT(ToVector(b.Allowed(RegionFilter("sg"))), ElementsAre(3));
}

TEST(AttributeBitmaps, Get_RebuildsAttributes) {
  const AttributeBitmaps b = Sample();
  const ItemAttributes a2 = b.Get(2);
  EXPECT_EQ(a2.kind, 1);
  EXPECT_THAT(a2.regions, UnorderedElementsAre("cn", "sg"));
  EXPECT_FALSE(a2.available);
  const ItemAttributes a0 = b.Get(0);
  EXPECT_THAT(a0.regions, IsEmpty());
  EXPECT_TRUE(a0.available);
}

TEST(AttributeBitmaps, Serialize_RoundTripsAndRejectsTruncation) {
  AttributeBitmaps b = Sample();
  b.Kill(1);
  const std::string bytes = b.Serialize();
  AttributeBitmaps copy;
  ASSERT_TRUE(AttributeBitmaps::Deserialize(bytes, &copy));
  for (const SearchFilter& f : std::vector<SearchFilter>{{},
                                                         KindFilter(1u << 1),
                                                         RegionFilter("cn"),
                                                         MakeFilter(0xFF, "sg", true),
                                                         RegionFilter("nowhere")}) {
    EXPECT_EQ(ToVector(copy.Allowed(f)), ToVector(b.Allowed(f)));
  }
  EXPECT_EQ(copy.LiveCount(), 3u);
  EXPECT_EQ(copy.Serialize(), bytes);

  for (size_t cut : {size_t{0}, size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    AttributeBitmaps bad;
    EXPECT_FALSE(AttributeBitmaps::Deserialize(bytes.substr(0, cut), &bad))
        << "cut at " << cut;
  }
}

TEST(ExactTopK, BestFirstTiesBySmallerIdWithinRangeAndAllowed) {
  // Four 2-d rows; query (1, 0) scores them 3, 1, 3, 2.
  const std::vector<float> rows = {3, 0, 1, 5, 3, 9, 2, 0};
  const std::vector<float> query = {1, 0};
  Roaring all;
  all.addRange(0, 4);
  auto hits = ExactTopK(query, rows.data(), 2, all, 0, 4, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0], std::make_pair(0u, 3.0f));
  EXPECT_EQ(hits[1], std::make_pair(2u, 3.0f));
  EXPECT_EQ(hits[2], std::make_pair(3u, 2.0f));

  Roaring some;
  some.add(1);
  some.add(2);
  hits = ExactTopK(query, rows.data(), 2, some, 0, 4, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 2u);
  EXPECT_EQ(hits[1].first, 1u);

  // Only [1, 2): row 2 is outside the range.
  hits = ExactTopK(query, rows.data(), 2, all, 1, 2, 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].first, 1u);

  EXPECT_TRUE(ExactTopK(query, rows.data(), 2, all, 0, 4, 0).empty());
  EXPECT_TRUE(ExactTopK(query, rows.data(), 2, all, 3, 3, 5).empty());
}

// Rows appended past a block's end start the next block; a scan over the
// blocks gives what the same scan over one contiguous buffer gives.
TEST(RowBlocks, AppendAcrossBlocks_RowsPiecesAndScanAgreeWithOneBuffer) {
  constexpr int kDim = 3;
  const size_t n = 2 * RowBlocks::kBlockRows + 7;
  RowBlocks blocks(kDim);
  std::vector<float> flat;
  for (size_t i = 0; i < n; ++i) {
    const std::vector<float> row = {static_cast<float>(i % 97),
                                    static_cast<float>(i % 13),
                                    static_cast<float>(i) * 1e-4f};
    blocks.Append(row);
    flat.insert(flat.end(), row.begin(), row.end());
  }
  ASSERT_EQ(blocks.size(), n);
  ASSERT_EQ(blocks.Blocks().size(), 3u);
  for (size_t i : {size_t{0}, RowBlocks::kBlockRows - 1, RowBlocks::kBlockRows, n - 1}) {
    EXPECT_EQ(std::vector<float>(blocks.Row(i), blocks.Row(i) + kDim),
              std::vector<float>(flat.begin() + i * kDim, flat.begin() + (i + 1) * kDim))
        << i;
  }
  std::string joined;
  for (std::string_view piece : blocks.Pieces()) joined.append(piece);
  EXPECT_EQ(joined, std::string(reinterpret_cast<const char*>(flat.data()),
                                flat.size() * sizeof(float)));

  // Ids [100, 100 + n) over the rows, every third allowed.
  Roaring allowed;
  for (uint32_t id = 100; id < 100 + n; id += 3) allowed.add(id);
  const std::vector<float> query = {0.5f, -1.0f, 2.0f};
  EXPECT_EQ(ExactTopKInBlocks(query, blocks.Blocks(), RowBlocks::kBlockRows, kDim,
                              allowed, 100, 100 + n, 40),
            ExactTopKInRange(query, flat.data(), kDim, allowed, 100, 100 + n, 40));

  // Reset makes room for rows that MutablePieces then fills.
  RowBlocks read(kDim);
  read.Reset(n);
  size_t at = 0;
  for (std::span<char> piece : read.MutablePieces()) {
    std::memcpy(piece.data(), joined.data() + at, piece.size());
    at += piece.size();
  }
  EXPECT_EQ(at, joined.size());
  EXPECT_EQ(read.size(), n);
  EXPECT_EQ(std::vector<float>(read.Row(n - 1), read.Row(n - 1) + kDim),
            std::vector<float>(flat.end() - kDim, flat.end()));
}

}  // namespace
}  // namespace zhongcao::index
