// Unit tests of the feed's re-rankers, on hand-made scored candidates.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ranking/id_hash.h"
#include "ranking/reranker/campaign_boost_reranker.h"
#include "ranking/reranker/creator_cap_reranker.h"
#include "ranking/reranker/kind_mix_reranker.h"
#include "ranking/reranker/mmr_reranker.h"
#include "tests/unit/kept_vector.h"

namespace zhongcao::ranking {
namespace {

Candidate Make(const std::string& id, float score, v1::ItemKind kind = v1::ITEM_KIND_NOTE,
               const std::string& creator = "",
               const std::vector<float>& embedding = {}) {
  Candidate c;
  c.item_id = id;
  c.score = score;
  c.item = std::make_shared<v1::Item>();
  MutableItem(&c)->set_id(id);
  MutableItem(&c)->set_kind(kind);
  MutableItem(&c)->set_creator_id(creator);
  c.embedding = testing::KeptVector(embedding);
  return c;
}

std::vector<std::string> Ids(const std::vector<Candidate>& ranked) {
  std::vector<std::string> ids;
  for (const Candidate& c : ranked) ids.push_back(c.item_id);
  return ids;
}

// Same ids, each once.
void ExpectPermutation(const std::vector<Candidate>& before,
                       const std::vector<Candidate>& after) {
  std::vector<std::string> a = Ids(before), b = Ids(after);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

void ExpectNoDuplicates(const std::vector<Candidate>& ranked) {
  std::set<std::string> ids;
  for (const Candidate& c : ranked)
    EXPECT_TRUE(ids.insert(c.item_id).second) << c.item_id;
}

// A descending list "i00", "i01", ... with scores n, n-1, ...
std::vector<Candidate> Descending(int n, v1::ItemKind kind = v1::ITEM_KIND_NOTE) {
  std::vector<Candidate> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        Make(absl::StrCat("i", i < 10 ? "0" : "", i), static_cast<float>(n - i), kind));
  }
  return out;
}

// ---------------------------------------------------------------- campaign

Campaign Double11(float boost = 0.3f) {
  Campaign campaign;
  campaign.name = "double11";
  campaign.tag = "1111";
  campaign.start_ms = 1000;
  campaign.end_ms = 2000;
  campaign.boost = boost;
  return campaign;
}

TEST(CampaignBoost, OpenCampaign_BoostsOnlyTaggedItemsAndExplainsIt) {
  FeedContext context;
  context.now_ms = 1500;
  context.open_campaigns.push_back(Double11(0.3f));
  std::vector<Candidate> ranked = {Make("a", 1.0f), Make("b", 0.9f), Make("c", 0.8f)};
  MutableItem(&ranked[2])->add_tags("1111");
  MutableItem(&ranked[1])->add_tags("618");

  CampaignBoostReRanker().ReRank(context, RerankSettings(), 3, &ranked);

  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_FLOAT_EQ(ranked[0].score, 1.1f);
  ASSERT_EQ(ranked[0].added_contributions.size(), 1u);
  EXPECT_EQ(ranked[0].added_contributions[0].first, "campaign:double11");
  EXPECT_FLOAT_EQ(ranked[0].added_contributions[0].second, 0.3f);
  EXPECT_FLOAT_EQ(ranked[1].score, 1.0f);
  EXPECT_FLOAT_EQ(ranked[2].score, 0.9f);
  EXPECT_TRUE(ranked[1].added_contributions.empty());
  EXPECT_TRUE(ranked[2].added_contributions.empty());
}

TEST(CampaignBoost, CampaignNotOpenAtNow_ChangesNothing) {
  for (int64_t now : {int64_t{999}, int64_t{2000}}) {  // before start; end is exclusive
    FeedContext context;
    context.now_ms = now;
    context.open_campaigns.push_back(Double11());
    std::vector<Candidate> ranked = {Make("a", 1.0f), Make("b", 0.9f)};
    MutableItem(&ranked[1])->add_tags("1111");
    CampaignBoostReRanker().ReRank(context, RerankSettings(), 2, &ranked);
    EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a", "b"})) << now;
    EXPECT_FLOAT_EQ(ranked[1].score, 0.9f) << now;
    EXPECT_TRUE(ranked[1].added_contributions.empty()) << now;
  }
}

TEST(CampaignBoost, NoOpenCampaigns_KeepsOrderAndScores) {
  FeedContext context;
  context.now_ms = 1500;
  std::vector<Candidate> ranked = {Make("a", 1.0f), Make("b", 0.9f)};
  MutableItem(&ranked[1])->add_tags("1111");
  CampaignBoostReRanker().ReRank(context, RerankSettings(), 2, &ranked);
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a", "b"}));
  EXPECT_FLOAT_EQ(ranked[1].score, 0.9f);
  EXPECT_TRUE(ranked[1].added_contributions.empty());
}

TEST(CampaignBoost, SeveralCampaignsMatch_AddsOnlyTheLargestBoost) {
  FeedContext context;
  context.now_ms = 1500;
  context.open_campaigns.push_back(Double11(0.2f));
  Campaign flash = Double11(0.5f);
  flash.name = "flash";
  flash.tag = "flash";
  context.open_campaigns.push_back(flash);
  std::vector<Candidate> ranked = {Make("a", 1.0f)};
  MutableItem(&ranked[0])->add_tags("1111");
  MutableItem(&ranked[0])->add_tags("flash");
  CampaignBoostReRanker().ReRank(context, RerankSettings(), 1, &ranked);
  EXPECT_FLOAT_EQ(ranked[0].score, 1.5f);
  ASSERT_EQ(ranked[0].added_contributions.size(), 1u);
  EXPECT_EQ(ranked[0].added_contributions[0].first, "campaign:flash");
}

TEST(CampaignBoost, EqualScoresAfterBoost_TieBrokenByItemId) {
  FeedContext context;
  context.now_ms = 1500;
  context.open_campaigns.push_back(Double11(0.5f));
  std::vector<Candidate> ranked = {Make("b", 1.0f), Make("a", 0.5f)};
  MutableItem(&ranked[1])->add_tags("1111");
  CampaignBoostReRanker().ReRank(context, RerankSettings(), 2, &ranked);
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a", "b"}));
}

// --------------------------------------------------------------------- MMR

// Three tight clusters around orthogonal axes of a `dim`-dimensional space.
std::vector<float> ClusterVector(int cluster, int dim, std::mt19937* rng) {
  std::normal_distribution<float> noise(0.0f, 0.02f);
  std::vector<float> v(dim);
  for (float& x : v) x = noise(*rng);
  v[cluster] += 1.0f;
  return v;
}

// 30 candidates: the best 10 in cluster 0, then clusters 1 and 2 interleaved.
std::vector<Candidate> Clustered(std::vector<int>* cluster_of) {
  std::mt19937 rng(7);
  std::vector<Candidate> ranked;
  for (int i = 0; i < 30; ++i) {
    const int cluster = i < 10 ? 0 : 1 + i % 2;
    (*cluster_of).push_back(cluster);
    ranked.push_back(Make(absl::StrCat("i", i < 10 ? "0" : "", i), 1.0f - 0.01f * i,
                          v1::ITEM_KIND_NOTE, "", ClusterVector(cluster, 8, &rng)));
  }
  return ranked;
}

TEST(Mmr, LambdaOne_KeepsOrder) {
  std::vector<int> cluster_of;
  std::vector<Candidate> ranked = Clustered(&cluster_of);
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.mmr_lambda = 1.0f;
  MmrReRanker().ReRank(FeedContext(), settings, 10, &ranked);
  EXPECT_EQ(Ids(ranked), before);
}

TEST(Mmr, LowLambda_FirstPicksCoverEveryCluster) {
  std::vector<int> cluster_of;
  std::vector<Candidate> ranked = Clustered(&cluster_of);
  // Without MMR the page would open with cluster 0 only.
  ASSERT_EQ(std::set<int>(cluster_of.begin(), cluster_of.begin() + 10), std::set<int>{0});
  absl::flat_hash_map<std::string, int> cluster;
  for (size_t i = 0; i < ranked.size(); ++i) cluster[ranked[i].item_id] = cluster_of[i];
  RerankSettings settings;
  settings.mmr_lambda = 0.3f;
  MmrReRanker().ReRank(FeedContext(), settings, 10, &ranked);

  EXPECT_EQ(ranked[0].item_id, "i00");  // the best item always leads
  std::set<int> first_three;
  for (int i = 0; i < 3; ++i) first_three.insert(cluster[ranked[i].item_id]);
  EXPECT_EQ(first_three, (std::set<int>{0, 1, 2}));
}

TEST(Mmr, ResultIsAPermutation_PicksThenRestInOriginalOrder) {
  std::vector<int> cluster_of;
  std::vector<Candidate> ranked = Clustered(&cluster_of);
  MutableItem(&ranked[3])->clear_embedding();  // items without a vector take part too
  MutableItem(&ranked[20])->clear_embedding();
  const std::vector<Candidate> before = ranked;
  RerankSettings settings;
  settings.mmr_lambda = 0.5f;
  MmrReRanker().ReRank(FeedContext(), settings, 8, &ranked);

  ExpectPermutation(before, ranked);
  ExpectNoDuplicates(ranked);
  // After the 8 picks, the others keep their relative order.
  const std::vector<std::string> after = Ids(ranked);
  const std::vector<std::string> rest(after.begin() + 8, after.end());
  const std::set<std::string> picks(after.begin(), after.begin() + 8);
  std::vector<std::string> expected_rest;
  for (const Candidate& c : before) {
    if (!picks.contains(c.item_id)) expected_rest.push_back(c.item_id);
  }
  EXPECT_EQ(rest, expected_rest);
}

TEST(Mmr, PicksOnlyFromTheWindow_AndLeavesTheRestInPlace) {
  // Window of 5 from cluster 0; just past it, far better for diversity,
  // items of clusters 1 and 2 that must not be picked.
  std::mt19937 rng(3);
  std::vector<Candidate> ranked;
  for (int i = 0; i < 10; ++i) {
    ranked.push_back(Make(absl::StrCat("i0", i), 1.0f - 0.01f * i, v1::ITEM_KIND_NOTE, "",
                          ClusterVector(i < 5 ? 0 : 1 + i % 2, 8, &rng)));
  }
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.mmr_lambda = 0.1f;
  settings.mmr_window = 5;
  MmrReRanker().ReRank(FeedContext(), settings, 3, &ranked);

  const std::vector<std::string> after = Ids(ranked);
  std::set<std::string> head(after.begin(), after.begin() + 5);
  EXPECT_EQ(head, std::set<std::string>(before.begin(), before.begin() + 5));
  EXPECT_EQ(std::vector<std::string>(after.begin() + 5, after.end()),
            std::vector<std::string>(before.begin() + 5, before.end()));
}

TEST(Mmr, CountLargerThanList_KeepsEveryCandidate) {
  std::vector<int> cluster_of;
  std::vector<Candidate> ranked = Clustered(&cluster_of);
  const std::vector<Candidate> before = ranked;
  RerankSettings settings;
  settings.mmr_lambda = 0.3f;
  MmrReRanker().ReRank(FeedContext(), settings, 100, &ranked);
  ExpectPermutation(before, ranked);
}

TEST(Mmr, FiveHundredCandidatesOf64Dims_Completes) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<Candidate> ranked;
  for (int i = 0; i < 500; ++i) {
    std::vector<float> v(64);
    for (float& x : v) x = normal(rng);
    ranked.push_back(
        Make(absl::StrCat("i", i), 1.0f - 0.001f * i, v1::ITEM_KIND_NOTE, "", v));
  }
  const std::vector<Candidate> before = ranked;
  RerankSettings settings;
  settings.mmr_lambda = 0.5f;
  settings.mmr_window = 500;

  // Timing is reported, never asserted: tests must pass on slow machines.
  constexpr int kRuns = 20;
  int64_t best_us = INT64_MAX;
  for (int run = 0; run < kRuns; ++run) {
    std::vector<Candidate> copy = before;
    const auto start = std::chrono::steady_clock::now();
    MmrReRanker().ReRank(FeedContext(), settings, 20, &copy);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    best_us = std::min<int64_t>(best_us, us);
    if (run == 0) ranked = std::move(copy);
  }
  std::cout << "MMR 500 candidates x 64 dims, count 20: best of " << kRuns << " runs "
            << best_us << " us\n";
  RecordProperty("mmr_500x64_us", static_cast<int>(best_us));
  ExpectPermutation(before, ranked);
}

// ------------------------------------------------------------- creator cap

TEST(CreatorCap, PerPage_KeepsAtMostCapItemsOfOneCreator) {
  std::vector<Candidate> ranked = {
      Make("a1", 9, v1::ITEM_KIND_NOTE, "alice"),
      Make("a2", 8, v1::ITEM_KIND_NOTE, "alice"),
      Make("a3", 7, v1::ITEM_KIND_NOTE, "alice"),
      Make("b1", 6, v1::ITEM_KIND_NOTE, "bob"),
      Make("a4", 5, v1::ITEM_KIND_NOTE, "alice"),
      Make("c1", 4, v1::ITEM_KIND_NOTE, "carol"),
  };
  RerankSettings settings;
  settings.creator_cap_per_page = 2;
  settings.creator_cap_per_session = 100;
  CreatorCapReRanker().ReRank(FeedContext(), settings, 4, &ranked);
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a1", "a2", "b1", "c1"}));
}

TEST(CreatorCap, PerSession_CountsItemsServedOnEarlierPages) {
  FeedContext context;
  context.session_creator_counts[CreatorHash("alice")] = 3;
  context.session_creator_counts[CreatorHash("bob")] = 4;
  std::vector<Candidate> ranked = {
      Make("a1", 9, v1::ITEM_KIND_NOTE, "alice"),
      Make("a2", 8, v1::ITEM_KIND_NOTE, "alice"),
      Make("b1", 7, v1::ITEM_KIND_NOTE, "bob"),
      Make("c1", 6, v1::ITEM_KIND_NOTE, "carol"),
      Make("c2", 5, v1::ITEM_KIND_NOTE, "carol"),
  };
  RerankSettings settings;
  settings.creator_cap_per_page = 2;
  settings.creator_cap_per_session = 4;
  CreatorCapReRanker().ReRank(context, settings, 5, &ranked);
  // alice: 3 earlier + 1 = 4; bob already at 4; carol: 2 (page cap).
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a1", "c1", "c2"}));
}

TEST(CreatorCap, TooFewItemsWithinCaps_PageIsShorterNotOverCap) {
  std::vector<Candidate> ranked;
  for (int i = 0; i < 6; ++i) {
    ranked.push_back(Make(absl::StrCat("a", i), 10.0f - i, v1::ITEM_KIND_NOTE, "alice"));
  }
  RerankSettings settings;
  settings.creator_cap_per_page = 2;
  CreatorCapReRanker().ReRank(FeedContext(), settings, 5, &ranked);
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a0", "a1"}));
}

TEST(CreatorCap, ItemsWithoutCreator_AreNeverCapped) {
  std::vector<Candidate> ranked = Descending(8, v1::ITEM_KIND_PRODUCT);
  ranked.push_back(Make("x1", 0.5f, v1::ITEM_KIND_NOTE, "alice"));
  ranked.push_back(Make("x2", 0.4f, v1::ITEM_KIND_NOTE, "alice"));
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.creator_cap_per_page = 1;
  settings.creator_cap_per_session = 1;
  CreatorCapReRanker().ReRank(FeedContext(), settings, 10, &ranked);
  std::vector<std::string> expected(before.begin(), before.begin() + 9);  // 8 + x1
  EXPECT_EQ(Ids(ranked), expected);
}

TEST(CreatorCap, CandidatesPastThePageAlsoRespectCaps) {
  // Whatever a later stage pulls forward from past the page stays in caps.
  std::vector<Candidate> ranked = {
      Make("a1", 9, v1::ITEM_KIND_NOTE, "alice"),
      Make("b1", 8, v1::ITEM_KIND_NOTE, "bob"),
      Make("a2", 7, v1::ITEM_KIND_NOTE, "alice"),
      Make("a3", 6, v1::ITEM_KIND_NOTE, "alice"),
      Make("c1", 5, v1::ITEM_KIND_NOTE, "carol"),
  };
  RerankSettings settings;
  settings.creator_cap_per_page = 2;
  CreatorCapReRanker().ReRank(FeedContext(), settings, 2, &ranked);
  EXPECT_EQ(Ids(ranked), (std::vector<std::string>{"a1", "b1", "a2", "c1"}));
}

// ---------------------------------------------------------------- kind mix

int LongestProductRun(const std::vector<Candidate>& ranked, size_t page) {
  int longest = 0, run = 0;
  for (size_t i = 0; i < std::min(page, ranked.size()); ++i) {
    run = ranked[i].item->kind() == v1::ITEM_KIND_PRODUCT ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::vector<Candidate> Kinds(const std::string& kinds) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    const v1::ItemKind kind = kinds[i] == 'P'   ? v1::ITEM_KIND_PRODUCT
                              : kinds[i] == 'L' ? v1::ITEM_KIND_LIVE
                              : kinds[i] == 'V' ? v1::ITEM_KIND_VIDEO
                                                : v1::ITEM_KIND_NOTE;
    out.push_back(Make(absl::StrCat(std::string(1, kinds[i]), i < 10 ? "0" : "", i),
                       100.0f - i, kind));
  }
  return out;
}

TEST(KindMix, ProductRuns_NeverLongerThanLimitWhenNonProductsExist) {
  std::vector<Candidate> ranked = Kinds("PPPPPPPPPPNNN");
  const std::vector<Candidate> before = ranked;
  RerankSettings settings;
  settings.max_products_in_a_row = 2;
  settings.live_slot_position = 0;
  KindMixReRanker().ReRank(FeedContext(), settings, 9, &ranked);
  EXPECT_LE(LongestProductRun(ranked, 9), 2);
  EXPECT_EQ(Ids(ranked),
            (std::vector<std::string>{"P00", "P01", "N10", "P02", "P03", "N11", "P04",
                                      "P05", "N12", "P06", "P07", "P08", "P09"}));
  ExpectPermutation(before, ranked);
}

TEST(KindMix, OnlyProducts_LeavesOrder) {
  std::vector<Candidate> ranked = Kinds("PPPPPP");
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.max_products_in_a_row = 2;
  KindMixReRanker().ReRank(FeedContext(), settings, 6, &ranked);
  EXPECT_EQ(Ids(ranked), before);
}

TEST(KindMix, LiveItemLowInTheList_MovesIntoTheSlot) {
  std::vector<Candidate> ranked = Kinds("NNNNNNNNNNLNL");
  const std::vector<Candidate> before = ranked;
  RerankSettings settings;
  settings.live_slot_position = 3;
  KindMixReRanker().ReRank(FeedContext(), settings, 6, &ranked);
  EXPECT_EQ(Ids(ranked),
            (std::vector<std::string>{"N00", "N01", "L10", "N02", "N03", "N04", "N05",
                                      "N06", "N07", "N08", "N09", "N11", "L12"}));
  ExpectPermutation(before, ranked);
}

TEST(KindMix, LiveSlot_TakesTheBestScoredLiveItem) {
  std::vector<Candidate> ranked = Kinds("NNNNLL");
  ranked[5].score = 1000;  // after MMR the list need not be in score order
  RerankSettings settings;
  settings.live_slot_position = 2;
  KindMixReRanker().ReRank(FeedContext(), settings, 4, &ranked);
  EXPECT_EQ(ranked[1].item_id, "L05");
}

TEST(KindMix, LiveAlreadyAtOrBeforeTheSlot_StaysWhereItIs) {
  std::vector<Candidate> ranked = Kinds("LNNNNL");
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.live_slot_position = 3;
  KindMixReRanker().ReRank(FeedContext(), settings, 5, &ranked);
  EXPECT_EQ(Ids(ranked), before);
}

TEST(KindMix, PageShorterThanTheSlot_HasNoSlot) {
  std::vector<Candidate> ranked = Kinds("NNNL");
  const std::vector<std::string> before = Ids(ranked);
  RerankSettings settings;
  settings.live_slot_position = 3;
  KindMixReRanker().ReRank(FeedContext(), settings, 2, &ranked);
  EXPECT_EQ(Ids(ranked), before);
}

TEST(KindMix, BreakingProductRuns_KeepsTheLiveItemInItsSlot) {
  std::vector<Candidate> ranked = Kinds("PPPPPPPPNNNL");
  RerankSettings settings;
  settings.live_slot_position = 3;
  settings.max_products_in_a_row = 1;
  KindMixReRanker().ReRank(FeedContext(), settings, 8, &ranked);
  EXPECT_LE(LongestProductRun(ranked, 8), 1);
  const auto live = std::find_if(ranked.begin(), ranked.end(), [](const Candidate& c) {
    return c.item->kind() == v1::ITEM_KIND_LIVE;
  });
  EXPECT_LE(live - ranked.begin(), 2);
  ExpectNoDuplicates(ranked);
}

TEST(KindMix, RandomLists_KeepSlotRunLimitAndEveryCandidate) {
  std::mt19937 rng(5);
  const std::string alphabet = "PPPPNVL";
  for (int trial = 0; trial < 500; ++trial) {
    std::string kinds;
    const int n = 1 + rng() % 40;
    for (int i = 0; i < n; ++i) kinds += alphabet[rng() % alphabet.size()];
    std::vector<Candidate> ranked = Kinds(kinds);
    const std::vector<Candidate> before = ranked;
    RerankSettings settings;
    settings.max_products_in_a_row = 1 + rng() % 3;
    settings.live_slot_position = rng() % 6;
    const int count = 1 + rng() % 25;
    KindMixReRanker().ReRank(FeedContext(), settings, count, &ranked);

    SCOPED_TRACE(absl::StrCat(kinds, " count=", count,
                              " n=", settings.max_products_in_a_row,
                              " slot=", settings.live_slot_position));
    ExpectPermutation(before, ranked);
    const size_t page = std::min<size_t>(count, ranked.size());
    // A run over the limit only where nothing but products follows.
    int run = 0;
    for (size_t i = 0; i < page; ++i) {
      run = ranked[i].item->kind() == v1::ITEM_KIND_PRODUCT ? run + 1 : 0;
      if (run > settings.max_products_in_a_row) {
        for (size_t j = i; j < ranked.size(); ++j) {
          ASSERT_EQ(ranked[j].item->kind(), v1::ITEM_KIND_PRODUCT);
        }
      }
    }
    const size_t slot = settings.live_slot_position;
    if (slot > 0 && slot <= page && kinds.find('L') != std::string::npos) {
      bool in_slot = false;
      for (size_t i = 0; i < slot; ++i)
        in_slot |= ranked[i].item->kind() == v1::ITEM_KIND_LIVE;
      EXPECT_TRUE(in_slot);
    }
  }
}

// ---------------------------------------------------------- all, in order

TEST(Rerankers, InPipelineOrder_PageKeepsCreatorCapsAfterKindMix) {
  std::mt19937 rng(9);
  const v1::ItemKind kinds[] = {v1::ITEM_KIND_PRODUCT, v1::ITEM_KIND_PRODUCT,
                                v1::ITEM_KIND_NOTE, v1::ITEM_KIND_VIDEO,
                                v1::ITEM_KIND_LIVE};
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Candidate> ranked;
    for (int i = 0; i < 60; ++i) {
      ranked.push_back(Make(absl::StrCat("i", i), 1.0f - 0.01f * i, kinds[rng() % 5],
                            rng() % 5 == 0 ? "" : absl::StrCat("c", rng() % 4),
                            {static_cast<float>(rng() % 3), 1.0f}));
    }
    const std::vector<Candidate> before = ranked;
    FeedContext context;
    context.session_creator_counts[CreatorHash("c0")] = 2;
    RerankSettings settings;
    settings.mmr_lambda = 0.5f;
    settings.creator_cap_per_page = 2;
    settings.creator_cap_per_session = 3;
    const int count = 12;
    MmrReRanker().ReRank(context, settings, count, &ranked);
    CreatorCapReRanker().ReRank(context, settings, count, &ranked);
    KindMixReRanker().ReRank(context, settings, count, &ranked);

    ExpectNoDuplicates(ranked);
    std::set<std::string> known;
    for (const Candidate& c : before) known.insert(c.item_id);
    absl::flat_hash_map<std::string, int> on_page;
    for (size_t i = 0; i < std::min<size_t>(count, ranked.size()); ++i) {
      EXPECT_TRUE(known.contains(ranked[i].item_id));
      const std::string& creator = ranked[i].item->creator_id();
      if (!creator.empty()) ++on_page[creator];
    }
    for (const auto& [creator, n] : on_page) {
      EXPECT_LE(n, creator == "c0" ? 1 : 2) << creator;
    }
  }
}

}  // namespace
}  // namespace zhongcao::ranking
