#include "ranking/source_executor.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace zhongcao::ranking {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

SourceExecutor::Task Returning(std::string id) {
  return [id] {
    Candidate c;
    c.item_id = id;
    return absl::StatusOr<std::vector<Candidate>>(std::vector<Candidate>{c});
  };
}

TEST(SourceExecutor, AllFinish_OutcomesInTaskOrder) {
  SourceExecutor executor(2);
  std::vector<SourceExecutor::Task> tasks = {Returning("a"), Returning("b"),
                                             Returning("c")};
  auto outcomes =
      executor.RunAll(std::move(tasks), steady_clock::now() + milliseconds(5000));
  ASSERT_EQ(outcomes.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(outcomes[i].finished);
    ASSERT_TRUE(outcomes[i].result.ok());
    EXPECT_EQ((*outcomes[i].result)[0].item_id, std::string(1, 'a' + i));
  }
}

TEST(SourceExecutor, SlowTask_IsAbandonedAtTheDeadlineAndOthersKept) {
  SourceExecutor executor(2);
  auto release = std::make_shared<std::atomic<bool>>(false);
  std::vector<SourceExecutor::Task> tasks = {
      Returning("fast"), [release]() -> absl::StatusOr<std::vector<Candidate>> {
        while (!release->load()) std::this_thread::sleep_for(milliseconds(1));
        return std::vector<Candidate>{};
      }};
  auto outcomes =
      executor.RunAll(std::move(tasks), steady_clock::now() + milliseconds(30));
  release->store(true);  // the abandoned task ends later, writing nowhere it should not
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].finished);
  EXPECT_FALSE(outcomes[1].finished);
}

TEST(SourceExecutor, TaskNotStartedByTheDeadline_NeverRuns) {
  SourceExecutor executor(1);
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto second_ran = std::make_shared<std::atomic<bool>>(false);
  std::vector<SourceExecutor::Task> tasks = {
      [release]() -> absl::StatusOr<std::vector<Candidate>> {
        while (!release->load()) std::this_thread::sleep_for(milliseconds(1));
        return std::vector<Candidate>{};
      },
      [second_ran]() -> absl::StatusOr<std::vector<Candidate>> {
        second_ran->store(true);
        return std::vector<Candidate>{};
      }};
  auto outcomes =
      executor.RunAll(std::move(tasks), steady_clock::now() + milliseconds(20));
  release->store(true);
  // A later batch runs on the same single worker only after the skipped one.
  std::vector<SourceExecutor::Task> later = {Returning("x")};
  auto done = executor.RunAll(std::move(later), steady_clock::now() + milliseconds(5000));
  ASSERT_TRUE(done[0].finished);
  EXPECT_FALSE(outcomes[1].finished);
  EXPECT_FALSE(second_ran->load()) << "work nobody waits for still ran";
}

TEST(SourceExecutor, NoPool_RunsTasksInOrderOnTheCallerUntilTheDeadline) {
  SourceExecutor executor(0);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> ran_on;
  auto slow = [&]() -> absl::StatusOr<std::vector<Candidate>> {
    ran_on.push_back(std::this_thread::get_id());
    std::this_thread::sleep_for(milliseconds(40));
    return std::vector<Candidate>{};
  };
  std::vector<SourceExecutor::Task> tasks = {Returning("a"), slow, Returning("c")};
  auto outcomes =
      executor.RunAll(std::move(tasks), steady_clock::now() + milliseconds(20));
  ASSERT_EQ(outcomes.size(), 3u);
  ASSERT_TRUE(outcomes[0].finished);
  EXPECT_EQ((*outcomes[0].result)[0].item_id, "a");
  // Started before the deadline, so it ran to its end; the next one had
  // not started by then and is left out.
  EXPECT_TRUE(outcomes[1].finished);
  EXPECT_GE(outcomes[1].micros, 40'000);
  EXPECT_FALSE(outcomes[2].finished);
  EXPECT_EQ(ran_on, std::vector<std::thread::id>{caller});
}

TEST(SourceExecutor, FailingTask_ReportsItsError) {
  SourceExecutor executor(1);
  std::vector<SourceExecutor::Task> tasks = {
      []() -> absl::StatusOr<std::vector<Candidate>> {
        return absl::UnavailableError("store down");
      }};
  auto outcomes =
      executor.RunAll(std::move(tasks), steady_clock::now() + milliseconds(5000));
  ASSERT_TRUE(outcomes[0].finished);
  EXPECT_EQ(outcomes[0].result.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace zhongcao::ranking
