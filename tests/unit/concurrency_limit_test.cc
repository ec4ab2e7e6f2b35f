#include "service/concurrency_limit.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace zhongcao::service {
namespace {

TEST(ConcurrencyLimitTest, AdmitsUpToTheLimit_RefusesOneMore_FreesOnRelease) {
  ConcurrencyLimit limit(2);
  std::optional<ConcurrencyLimit::Permit> a = limit.TryAcquire();
  std::optional<ConcurrencyLimit::Permit> b = limit.TryAcquire();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(limit.TryAcquire().has_value());
  EXPECT_EQ(limit.in_flight(), 2);  // a refusal gives its count back
  EXPECT_EQ(limit.refused(), 1);
  a.reset();
  EXPECT_EQ(limit.in_flight(), 1);
  EXPECT_TRUE(limit.TryAcquire().has_value());
  EXPECT_EQ(limit.in_flight(), 1);  // that permit was released at once
}

TEST(ConcurrencyLimitTest, ZeroLimit_AdmitsEverything) {
  ConcurrencyLimit limit(0);
  std::vector<ConcurrencyLimit::Permit> held;
  for (int i = 0; i < 1000; ++i) {
    std::optional<ConcurrencyLimit::Permit> p = limit.TryAcquire();
    ASSERT_TRUE(p.has_value());
    held.push_back(std::move(*p));
  }
  EXPECT_EQ(limit.in_flight(), 1000);
  EXPECT_EQ(limit.refused(), 0);
}

}  // namespace
}  // namespace zhongcao::service
