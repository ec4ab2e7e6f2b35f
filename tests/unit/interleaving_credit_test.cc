// Crediting outcomes to arms: team-draft wins on a hand-made log whose
// answer is known, the sign test and interval, and split-arm sums.
#include "ranking/experiment/interleaving_credit.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zhongcao::ranking {
namespace {

// An interleaved response: items (id, arm) in page order.
v1::Exposure Interleaved(const std::string& request_id,
                         std::vector<std::pair<std::string, std::string>> items) {
  v1::Exposure e;
  e.set_request_id(request_id);
  e.set_user_id("u-" + request_id);
  e.set_interleaved_experiment("ranker");
  (*e.mutable_arms())["ranker"] = "";
  (*e.mutable_arms())["diversity"] = "control";  // a split experiment beside it
  for (size_t i = 0; i < items.size(); ++i) {
    v1::ExposedItem* item = e.add_items();
    item->set_item_id(items[i].first);
    item->set_arm(items[i].second);
    item->set_position(static_cast<int>(i));
  }
  return e;
}

v1::Exposure Split(const std::string& request_id, const std::string& arm,
                   std::vector<std::string> items) {
  v1::Exposure e;
  e.set_request_id(request_id);
  (*e.mutable_arms())["diversity"] = arm;
  for (const std::string& id : items) e.add_items()->set_item_id(id);
  return e;
}

v1::Event Outcome(const std::string& request_id, const std::string& item,
                  v1::EventType type = v1::EVENT_TYPE_CLICK) {
  v1::Event event;
  event.set_request_id(request_id);
  event.set_item_id(item);
  event.set_type(type);
  return event;
}

TEST(InterleavingCredit, HandMadeLog_CountsWinsTiesAndSkipsSilentRequests) {
  const std::vector<v1::Exposure> exposures = {
      Interleaved("r1", {{"x", "A"}, {"y", "B"}}),  // click on x: A wins
      Interleaved("r2", {{"x", "B"}, {"y", "A"}}),  // clicks on x twice, y once: B wins
      Interleaved("r3", {{"x", "A"}, {"y", "B"}}),  // one each: a tie
      Interleaved("r4", {{"x", "A"}, {"y", "B"}}),  // only an impression: no outcome
      Interleaved("r5", {{"z", "A"}, {"w", "B"}}),  // purchase of z: A wins
  };
  const std::vector<v1::Event> outcomes = {
      Outcome("r1", "x"),
      Outcome("r2", "x"),
      Outcome("r2", "x"),
      Outcome("r2", "y", v1::EVENT_TYPE_LIKE),
      Outcome("r3", "x"),
      Outcome("r3", "y"),
      Outcome("r4", "x", v1::EVENT_TYPE_IMPRESSION),
      Outcome("r5", "z", v1::EVENT_TYPE_PURCHASE),
      Outcome("r9", "x"),  // no such response
      Outcome("r1", "q"),  // not served in r1
  };
  const CreditReport report = CreditOutcomes(exposures, outcomes);
  ASSERT_EQ(report.interleaved.size(), 1u);
  const InterleavingCredit& c = report.interleaved[0];
  EXPECT_EQ(c.experiment, "ranker");
  EXPECT_EQ(c.arm_a, "A");
  EXPECT_EQ(c.arm_b, "B");
  EXPECT_EQ(c.requests, 5);
  EXPECT_EQ(c.requests_with_outcome, 4);
  EXPECT_EQ(c.wins_a, 2);
  EXPECT_EQ(c.wins_b, 1);
  EXPECT_EQ(c.ties, 1);
  EXPECT_DOUBLE_EQ(c.preference_a, 2.0 / 3.0);
  // Two-sided sign test of 2 wins in 3: P(X <= 1) * 2 = (1 + 3) / 8 * 2 = 1.
  EXPECT_DOUBLE_EQ(c.p_value, 1.0);
  EXPECT_LT(c.ci95_low, c.preference_a);
  EXPECT_GT(c.ci95_high, c.preference_a);
  EXPECT_EQ(report.unmatched_outcomes, 2);

  // The split experiment beside it: five requests of "control", ten items,
  // 8 outcomes that are not impressions on served items.
  ASSERT_EQ(report.split.size(), 1u);
  EXPECT_EQ(report.split[0].experiment, "diversity");
  EXPECT_EQ(report.split[0].arm, "control");
  EXPECT_EQ(report.split[0].requests, 5);
  EXPECT_EQ(report.split[0].items, 10);
  EXPECT_DOUBLE_EQ(report.split[0].outcomes, 7.0);
  EXPECT_EQ(report.split[0].requests_with_outcome, 4);
}

TEST(InterleavingCredit, Weights_DecideWhatAnOutcomeIsWorth) {
  const std::vector<v1::Exposure> exposures = {
      Interleaved("r1", {{"x", "A"}, {"y", "B"}})};
  const std::vector<v1::Event> outcomes = {Outcome("r1", "x"), Outcome("r1", "x"),
                                           Outcome("r1", "y", v1::EVENT_TYPE_PURCHASE)};
  EXPECT_EQ(CreditOutcomes(exposures, outcomes).interleaved[0].wins_a, 1);
  CreditOptions purchases_only;
  purchases_only.weights = {{v1::EVENT_TYPE_PURCHASE, 1.0}};
  const CreditReport report = CreditOutcomes(exposures, outcomes, purchases_only);
  EXPECT_EQ(report.interleaved[0].wins_a, 0);
  EXPECT_EQ(report.interleaved[0].wins_b, 1);
}

TEST(InterleavingCredit, ClearPreference_IsSignificantWithAnIntervalAboveHalf) {
  std::vector<v1::Exposure> exposures;
  std::vector<v1::Event> outcomes;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "r" + std::to_string(i);
    exposures.push_back(Interleaved(id, {{"x", "A"}, {"y", "B"}}));
    outcomes.push_back(Outcome(id, i < 70 ? "x" : "y"));  // A wins 70 of 100
  }
  const InterleavingCredit c = CreditOutcomes(exposures, outcomes).interleaved[0];
  EXPECT_EQ(c.wins_a, 70);
  EXPECT_EQ(c.wins_b, 30);
  EXPECT_DOUBLE_EQ(c.preference_a, 0.7);
  // Exact two-sided binomial(100, 1/2) p-value of 70 successes: 7.85e-5.
  EXPECT_NEAR(c.p_value, 7.85e-5, 1e-6);
  // Wilson 95% interval of 70/100: 0.604 .. 0.781.
  EXPECT_NEAR(c.ci95_low, 0.6042, 1e-3);
  EXPECT_NEAR(c.ci95_high, 0.7810, 1e-3);
}

TEST(InterleavingCredit, SplitArms_AreCreditedSeparately) {
  const std::vector<v1::Exposure> exposures = {
      Split("r1", "control", {"a", "b"}), Split("r2", "control", {"a"}),
      Split("r3", "treatment", {"a", "b", "c"}), Split("r4", "treatment", {"c"})};
  const std::vector<v1::Event> outcomes = {Outcome("r1", "a"), Outcome("r3", "a"),
                                           Outcome("r3", "b"), Outcome("r4", "c")};
  const CreditReport report = CreditOutcomes(exposures, outcomes);
  EXPECT_TRUE(report.interleaved.empty());
  ASSERT_EQ(report.split.size(), 2u);
  EXPECT_EQ(report.split[0].arm, "control");
  EXPECT_DOUBLE_EQ(report.split[0].outcomes, 1.0);
  EXPECT_DOUBLE_EQ(report.split[0].per_request, 0.5);
  EXPECT_EQ(report.split[0].items, 3);
  EXPECT_EQ(report.split[1].arm, "treatment");
  EXPECT_DOUBLE_EQ(report.split[1].outcomes, 3.0);
  EXPECT_DOUBLE_EQ(report.split[1].per_request, 1.5);
  EXPECT_EQ(report.split[1].requests_with_outcome, 2);
  // Per-request outcomes 2 and 1: sd 0.707, half-width 1.96 * 0.5.
  EXPECT_NEAR(report.split[1].ci95_high - report.split[1].per_request, 0.98, 1e-3);
}

TEST(SignTest, KnownValues) {
  EXPECT_DOUBLE_EQ(SignTestPValue(0, 0), 1.0);
  EXPECT_NEAR(SignTestPValue(0, 5), 2.0 / 32, 1e-12);
  EXPECT_NEAR(SignTestPValue(5, 5), 2.0 / 32, 1e-12);
  EXPECT_NEAR(SignTestPValue(1, 10), 2.0 * 11 / 1024, 1e-12);
  // Large n stays finite: 5,000 of 10,000 is no evidence at all.
  EXPECT_NEAR(SignTestPValue(5000, 10000), 1.0, 1e-9);
}

}  // namespace
}  // namespace zhongcao::ranking
