// Team-draft interleaving: the draft itself (attribution, no duplicates,
// each team's order kept, a fair coin), the feed page under creator caps,
// and interleaved experiments in the configuration.
#include "ranking/experiment/interleaving.h"

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ranking/experiment/experiments.h"
#include "ranking/id_hash.h"
#include "service/config.h"

namespace zhongcao::ranking {
namespace {

std::vector<std::string> Ids(std::initializer_list<const char*> ids) {
  return std::vector<std::string>(ids.begin(), ids.end());
}

// Checks what every team draft must satisfy: no item twice, each pick is
// the drafting team's best item not yet taken (so each team's order is
// kept), and a team only drafts its own items.
void ExpectValidDraft(const std::vector<std::string>& a,
                      const std::vector<std::string>& b,
                      const std::vector<DraftPick>& picks) {
  const std::vector<std::string>* lists[2] = {&a, &b};
  std::set<std::string> taken;
  for (const DraftPick& pick : picks) {
    const std::vector<std::string>& list = *lists[pick.team];
    ASSERT_LT(pick.index, list.size());
    for (size_t i = 0; i < pick.index; ++i) {
      EXPECT_TRUE(taken.contains(list[i]))
          << "team " << pick.team << " skipped its better item " << list[i];
    }
    EXPECT_TRUE(taken.insert(list[pick.index]).second) << list[pick.index] << " twice";
  }
}

TEST(TeamDraft, KnownLists_FollowTheSeededCoins) {
  const std::vector<std::string> a = Ids({"x", "y", "z"});
  const std::vector<std::string> b = Ids({"y", "x", "w"});
  const uint64_t seed = 42;
  // The coins the draft draws: mt19937_64's sequence is fixed by the
  // standard. Round 1 and round 2 each decide who drafts first.
  std::mt19937_64 coins(seed);
  const int first1 = static_cast<int>(coins() & 1);
  const int first2 = static_cast<int>(coins() & 1);
  const std::vector<DraftPick> picks = TeamDraft(a, b, 4, seed);
  ASSERT_EQ(picks.size(), 4u);
  // Round 1: the first team takes its top item; the other team's top item
  // differs (x against y), so it takes its own top item too.
  EXPECT_EQ(picks[0].team, first1);
  EXPECT_EQ(picks[0].index, 0u);
  EXPECT_EQ(picks[1].team, 1 - first1);
  EXPECT_EQ(picks[1].index, 0u);
  // Round 2: x and y are taken, so A's best left is z and B's is w.
  EXPECT_EQ(picks[2].team, first2);
  EXPECT_EQ(picks[3].team, 1 - first2);
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_EQ(picks[i].index, 2u) << "z is A's third, w is B's third";
  }
  ExpectValidDraft(a, b, picks);
  // A replay with the same seed drafts the same page.
  const std::vector<DraftPick> again = TeamDraft(a, b, 4, seed);
  for (size_t i = 0; i < picks.size(); ++i) {
    EXPECT_EQ(again[i].team, picks[i].team);
    EXPECT_EQ(again[i].index, picks[i].index);
  }
}

TEST(TeamDraft, SharedItems_GoToTheTeamThatTakesThemFirst) {
  // Identical rankings: every item is shared; each round's first team takes
  // the next item and the other team the one after.
  const std::vector<std::string> same = Ids({"a", "b", "c", "d", "e", "f"});
  const std::vector<DraftPick> picks = TeamDraft(same, same, 6, 7);
  ASSERT_EQ(picks.size(), 6u);
  ExpectValidDraft(same, same, picks);
  for (size_t i = 0; i < picks.size(); ++i) {
    EXPECT_EQ(same[picks[i].index], same[i]) << "the page keeps the shared order";
  }
  for (size_t round = 0; round < 3; ++round) {
    EXPECT_NE(picks[2 * round].team, picks[2 * round + 1].team) << "one item each";
  }
}

TEST(TeamDraft, ShortList_LetsTheOtherTeamGoOn) {
  const std::vector<std::string> a = Ids({"a1"});
  const std::vector<std::string> b = Ids({"b1", "b2", "b3", "b4"});
  const std::vector<DraftPick> picks = TeamDraft(a, b, 10, 3);
  ASSERT_EQ(picks.size(), 5u);  // everything, then nothing is left
  ExpectValidDraft(a, b, picks);
  int from_a = 0;
  for (const DraftPick& p : picks) from_a += p.team == 0;
  EXPECT_EQ(from_a, 1);
  EXPECT_TRUE(TeamDraft(a, b, 0, 3).empty());
}

TEST(TeamDraft, Refusals_SkipAnItemWithoutLosingIt) {
  const std::vector<std::string> a = Ids({"p1", "p2", "n1"});
  const std::vector<std::string> b = Ids({"p3", "n2", "n3"});
  // At most one "p" item on the page.
  auto one_p = [&](const std::vector<DraftPick>& so_far, const DraftPick& next) {
    const std::vector<std::string>* lists[2] = {&a, &b};
    if ((*lists[next.team])[next.index][0] != 'p') return true;
    for (const DraftPick& p : so_far) {
      if ((*lists[p.team])[p.index][0] == 'p') return false;
    }
    return true;
  };
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<DraftPick> picks = TeamDraft(a, b, 6, seed, one_p);
    int p_items = 0;
    std::set<std::string> ids;
    for (const DraftPick& pick : picks) {
      const std::string& id = pick.team == 0 ? a[pick.index] : b[pick.index];
      p_items += id[0] == 'p';
      ids.insert(id);
    }
    EXPECT_EQ(p_items, 1);
    EXPECT_EQ(picks.size(), 4u) << "one p item and all three n items";
    EXPECT_EQ(ids.size(), picks.size());
  }
}

TEST(TeamDraft, OverManySeeds_EachTeamDraftsFirstAboutHalfTheTime) {
  const std::vector<std::string> a = Ids({"a1", "a2", "a3", "a4"});
  const std::vector<std::string> b = Ids({"b1", "b2", "b3", "b4"});
  const int trials = 4000;
  int a_first = 0;
  int a_top_slot_rounds = 0;  // over all rounds of all pages
  for (int t = 0; t < trials; ++t) {
    const uint64_t seed = InterleavingSeed("salt", "user" + std::to_string(t), t % 3);
    const std::vector<DraftPick> picks = TeamDraft(a, b, 8, seed);
    ASSERT_EQ(picks.size(), 8u);
    a_first += picks[0].team == 0;
    int from_a = 0;
    for (size_t i = 0; i < picks.size(); ++i) {
      from_a += picks[i].team == 0;
      if (i % 2 == 0) a_top_slot_rounds += picks[i].team == 0;
    }
    EXPECT_EQ(from_a, 4) << "disjoint lists: each team gets half the page";
  }
  // Binomial(4000, 1/2): 4 standard deviations are about 126.
  EXPECT_NEAR(a_first, trials / 2, 126);
  // Binomial(16000, 1/2): 4 standard deviations are about 253.
  EXPECT_NEAR(a_top_slot_rounds, 2 * trials, 253);
}

Candidate MakeCandidate(const std::string& id, const std::string& creator,
                        v1::ItemKind kind = v1::ITEM_KIND_NOTE) {
  auto item = std::make_shared<v1::Item>();
  item->set_id(id);
  item->set_creator_id(creator);
  item->set_kind(kind);
  Candidate c;
  c.item_id = id;
  c.item = item;
  return c;
}

TEST(InterleaveCandidates, Page_KeepsTheStricterCreatorCapAndReportsMore) {
  FeedContext context;
  RerankSettings a_caps;
  a_caps.creator_cap_per_page = 1;
  RerankSettings b_caps;
  b_caps.creator_cap_per_page = 3;
  std::vector<Candidate> a = {MakeCandidate("a1", "c1"), MakeCandidate("a2", "c1"),
                              MakeCandidate("a3", "c2")};
  std::vector<Candidate> b = {MakeCandidate("b1", "c1"), MakeCandidate("b2", "c3"),
                              MakeCandidate("a3", "c2")};
  for (uint64_t seed = 0; seed < 16; ++seed) {
    InterleavedPage page = InterleaveCandidates(context, a_caps, b_caps, a, b, 10, seed);
    std::map<std::string, int> per_creator;
    std::set<std::string> ids;
    ASSERT_EQ(page.items.size(), page.teams.size());
    for (size_t i = 0; i < page.items.size(); ++i) {
      ++per_creator[page.items[i].item->creator_id()];
      EXPECT_TRUE(ids.insert(page.items[i].item_id).second);
      // An item comes from the list of the team it is attributed to.
      const std::vector<Candidate>& own = page.teams[i] == 0 ? a : b;
      bool found = false;
      for (const Candidate& c : own) found |= c.item_id == page.items[i].item_id;
      EXPECT_TRUE(found);
    }
    EXPECT_EQ(per_creator["c1"], 1);
    EXPECT_EQ(page.items.size(), 3u);  // one of c1, a3 (c2), b2 (c3)
    EXPECT_TRUE(page.more) << "two c1 items were left";
  }
}

TEST(InterleaveCandidates, ProductRuns_AreBrokenOnlyWhileAnotherKindIsLeft) {
  FeedContext context;
  RerankSettings caps;  // at most two products in a row
  ASSERT_EQ(caps.max_products_in_a_row, 2);
  const v1::ItemKind kProduct = v1::ITEM_KIND_PRODUCT;
  // Products alone (a shop's catalog): the page fills, as a split feed's does.
  std::vector<Candidate> a, b;
  for (int i = 0; i < 6; ++i) {
    a.push_back(MakeCandidate("a" + std::to_string(i), "", kProduct));
    b.push_back(MakeCandidate("b" + std::to_string(i), "", kProduct));
  }
  for (uint64_t seed = 0; seed < 8; ++seed) {
    EXPECT_EQ(InterleaveCandidates(context, caps, caps, a, b, 10, seed).items.size(),
              10u);
  }
  // One note: it breaks the first run of two, and then products go on.
  b.push_back(MakeCandidate("note", "", v1::ITEM_KIND_NOTE));
  for (uint64_t seed = 0; seed < 8; ++seed) {
    const InterleavedPage page =
        InterleaveCandidates(context, caps, caps, a, b, 10, seed);
    ASSERT_EQ(page.items.size(), 10u);
    EXPECT_EQ(page.items[2].item_id, "note");
  }
}

TEST(InterleaveCandidates, SessionCounts_FromThePageTokenCountAgainstTheCap) {
  FeedContext context;
  RerankSettings caps;
  caps.creator_cap_per_session = 2;
  context.session_creator_counts[CreatorHash("c1")] = 2;  // already served twice
  std::vector<Candidate> a = {MakeCandidate("a1", "c1"), MakeCandidate("a2", "c2")};
  std::vector<Candidate> b = {MakeCandidate("b1", "c1")};
  InterleavedPage page = InterleaveCandidates(context, caps, caps, a, b, 10, 1);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].item_id, "a2");
  EXPECT_EQ(page.teams[0], 0);
}

ExperimentArm Arm(const std::string& name, double mmr_lambda) {
  return {name, 1, {{"rerank.mmr_lambda", mmr_lambda}}};
}

TEST(InterleavedExperiment, Assign_LeavesBothArmsToTheCallerUnlessForced) {
  Experiment e;
  e.name = "ranker";
  e.salt = "s";
  e.interleaved = true;
  e.arms = {Arm("control", 0.7), Arm("treatment", 0.3)};
  absl::StatusOr<Experiments> experiments = Experiments::Create({e});
  ASSERT_TRUE(experiments.ok()) << experiments.status();
  google::protobuf::Map<std::string, std::string> none;
  FeedSettings settings;
  auto choices = experiments->Assign("u1", none, &settings);
  ASSERT_TRUE(choices.ok());
  ASSERT_EQ(choices->size(), 1u);
  EXPECT_TRUE((*choices)[0].interleaved);
  EXPECT_EQ((*choices)[0].arm, "");
  EXPECT_FLOAT_EQ(settings.rerank.mmr_lambda, FeedSettings().rerank.mmr_lambda);
  const Experiment* interleaving = experiments->Interleaving(*choices);
  ASSERT_NE(interleaving, nullptr);
  EXPECT_EQ(interleaving->name, "ranker");

  google::protobuf::Map<std::string, std::string> forced;
  forced["ranker"] = "treatment";
  FeedSettings forced_settings;
  auto one = experiments->Assign("u1", forced, &forced_settings);
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE((*one)[0].interleaved);
  EXPECT_EQ((*one)[0].arm, "treatment");
  EXPECT_FLOAT_EQ(forced_settings.rerank.mmr_lambda, 0.3f);
  EXPECT_EQ(experiments->Interleaving(*one), nullptr);
}

TEST(InterleavedExperiment, Create_RefusesOtherThanTwoArmsAndASecondOne) {
  Experiment three;
  three.name = "three";
  three.interleaved = true;
  three.arms = {Arm("a", 0.1), Arm("b", 0.2), Arm("c", 0.3)};
  absl::StatusOr<Experiments> refused = Experiments::Create({three});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("experiments[0].arms"), std::string::npos);

  Experiment first;
  first.name = "first";
  first.interleaved = true;
  first.arms = {Arm("a", 0.1), Arm("b", 0.2)};
  Experiment second = first;
  second.name = "second";
  refused = Experiments::Create({first, second});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("experiments[1].interleaved"),
            std::string::npos);
}

TEST(InterleavedExperiment, Config_ReadsTheInterleavedKey) {
  auto options = service::ParseConfig(R"(
[[experiments]]
name = "ranker"
interleaved = true
  [[experiments.arms]]
  name = "weighted"
  [[experiments.arms]]
  name = "fresher"
  settings = { weights = { freshness = 0.6 } }
)");
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_EQ(options->experiments.experiments().size(), 1u);
  EXPECT_TRUE(options->experiments.experiments()[0].interleaved);

  auto wrong = service::ParseConfig(R"(
[[experiments]]
name = "ranker"
interleaved = "yes"
  [[experiments.arms]]
  name = "a"
)");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("experiments[0].interleaved"),
            std::string::npos);
}

}  // namespace
}  // namespace zhongcao::ranking
