// How the importer turns the service's all-or-nothing answers into per-row
// reports (BatchCore, against a fake service that checks like the real
// one), and its progress line on and off a terminal.
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/import/batch_loader.h"
#include "tools/import/progress.h"

namespace zhongcao::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Rows 0..n-1 on lines 10, 20, ...: some have a bad field, some name a
// missing item. Like the service, a call checks every row's fields before
// any existence, answers with the first failure, and writes all or nothing.
class FakeService {
 public:
  std::set<size_t> bad_field, missing;
  std::vector<size_t> written;
  int calls = 0;

  absl::Status Submit(const std::vector<size_t>& rows, bool validate_only) {
    ++calls;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (bad_field.contains(rows[i])) {
        return absl::InvalidArgumentError(absl::StrCat("rows[", i, "].x: bad ", rows[i]));
      }
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      if (missing.contains(rows[i])) {
        return absl::NotFoundError(absl::StrCat("rows[", i, "].item: missing ", rows[i]));
      }
    }
    if (!validate_only) written.insert(written.end(), rows.begin(), rows.end());
    return absl::OkStatus();
  }
};

struct BatchRun {
  absl::Status status;
  std::vector<std::string> bad;
  int64_t written;
};

BatchRun RunBatch(FakeService& service, Phase phase, size_t n,
                  std::function<bool(size_t)> loaded_first = nullptr) {
  BatchRun run;
  BatchCore core({.file = "f.csv", .field = "rows", .phase = phase},
                 [&](const BadRow& row) { run.bad.push_back(ToString(row)); });
  std::vector<int64_t> lines;
  for (size_t i = 0; i < n; ++i) lines.push_back(10 * static_cast<int64_t>(i + 1));
  run.status = core.Run(
      lines,
      [&](const std::vector<size_t>& positions, bool validate_only) {
        return service.Submit(positions, validate_only);
      },
      loaded_first);
  run.written = core.written();
  return run;
}

TEST(BatchCoreTest, Check_ReportsEveryBadRowAndWritesNothing) {
  FakeService service;
  service.bad_field = {1, 6};
  service.missing = {3, 4, 8};
  const BatchRun run = RunBatch(service, Phase::kCheck, 10);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_THAT(
      run.bad,
      ElementsAre("f.csv:20: x: bad 1", "f.csv:70: x: bad 6", "f.csv:40: item: missing 3",
                  "f.csv:50: item: missing 4", "f.csv:90: item: missing 8"));
  EXPECT_THAT(service.written, IsEmpty());
  // One call per bad row and one to end: the rows before a NOT_FOUND are
  // not sent again.
  EXPECT_EQ(service.calls, 6);
}

TEST(BatchCoreTest, Check_ItemsLoadedFirstAreNotMissing) {
  FakeService service;
  service.missing = {0, 2, 5};
  const BatchRun run = RunBatch(service, Phase::kCheck, 6,
                                [](size_t row) { return row == 0 || row == 2; });
  ASSERT_TRUE(run.status.ok());
  EXPECT_THAT(run.bad, ElementsAre("f.csv:60: item: missing 5"));
}

TEST(BatchCoreTest, Load_WritesExactlyTheGoodRows) {
  FakeService service;
  service.bad_field = {0};
  service.missing = {2};
  const BatchRun run = RunBatch(service, Phase::kLoad, 4);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_THAT(run.bad, ElementsAre("f.csv:10: x: bad 0", "f.csv:30: item: missing 2"));
  EXPECT_THAT(service.written, ElementsAre(1, 3));
  EXPECT_EQ(run.written, 2);

  FakeService clean;
  const BatchRun all = RunBatch(clean, Phase::kLoad, 5);
  EXPECT_EQ(all.written, 5);
  EXPECT_EQ(clean.calls, 1);
}

TEST(BatchCoreTest, LoadChecked_AnyRefusalIsAnErrorNamingTheRow) {
  FakeService service;
  service.missing = {2};
  const BatchRun run = RunBatch(service, Phase::kLoadChecked, 4);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(run.status.message(), "f.csv:30: item: missing 2");
  EXPECT_THAT(service.written, IsEmpty());
}

TEST(BatchCoreTest, ErrorsNotOfARow_StopTheBatch) {
  BatchCore core({.file = "f.csv", .field = "rows", .phase = Phase::kCheck},
                 [](const BadRow&) { FAIL() << "not a row's fault"; });
  const std::vector<int64_t> lines = {1, 2};
  const absl::Status status = core.Run(
      lines,
      [](const std::vector<size_t>&, bool) {
        return absl::UnavailableError("connection refused");
      },
      nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "f.csv: connection refused");
}

TEST(ParseElementErrorTest, SplitsIndexAndFieldMessage) {
  auto e = ParseElementError(absl::InvalidArgumentError("items[12].embedding[3]: nan"),
                             "items");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->index, 12u);
  EXPECT_EQ(e->message, "embedding[3]: nan");
  EXPECT_FALSE(
      ParseElementError(absl::InvalidArgumentError("items: must not be empty"), "items")
          .has_value());
  EXPECT_FALSE(ParseElementError(absl::InvalidArgumentError("users[1].id: x"), "items")
                   .has_value());
}

TEST(ProgressTest, NotATerminal_PrintsOnlyWhatItIsAsked) {
  std::ostringstream out;
  double now = 0;
  Progress progress(out, /*live=*/false, [&] { return now; });
  progress.Start("loading", 1000);
  for (int i = 1; i <= 100; ++i) {
    now += 1;
    progress.Update(i * 10, i * 10);
  }
  progress.Print("f.csv:3: id: must not be empty");
  progress.Status("building the index");
  progress.Clear();
  EXPECT_EQ(out.str(), "f.csv:3: id: must not be empty\n");
}

TEST(ProgressTest, Terminal_RedrawsRowsRateAndTimeLeft) {
  std::ostringstream out;
  double now = 100;
  Progress progress(out, /*live=*/true, [&] { return now; });
  progress.Start("loading", 1000);
  now = 102;
  progress.Update(500, 250);  // a quarter in 2 s: 6 s left
  EXPECT_EQ(out.str(), "\r\033[Kloading: 500 rows, 250 rows/s, 25%, 0:06 left");
  now = 102.1;
  progress.Update(600, 300);  // too soon to redraw
  EXPECT_EQ(out.str(), "\r\033[Kloading: 500 rows, 250 rows/s, 25%, 0:06 left");
  out.str("");
  progress.Print("bad row");
  EXPECT_THAT(out.str(),
              ::testing::StartsWith("\r\033[Kbad row\n\r\033[Kloading: 600 rows"));
  out.str("");
  progress.Status("building the index");
  EXPECT_EQ(out.str(), "\r\033[Kbuilding the index");
  out.str("");
  progress.Clear();
  EXPECT_EQ(out.str(), "\r\033[K");
}

}  // namespace
}  // namespace zhongcao::tools
