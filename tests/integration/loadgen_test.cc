// The load generator's library against a real server on loopback: counts
// add up in both loop modes, a healthy server gives no errors, and the
// percentile, mix and schedule arithmetic is right on hand-made inputs.
// Behaviour only: nothing here asserts how fast anything is.
#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/test_server.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/request_mix.h"
#include "tools/loadgen/requests.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/schedule.h"
#include "tools/loadgen/stats.h"

namespace zhongcao::loadgen {
namespace {

using zhongcao::testing::RandomUnit;
using zhongcao::testing::TestServer;

constexpr int kDim = 8;
constexpr int kProducts = 60;
constexpr int kUsers = 20;
constexpr int64_t kMs = 1'000'000;

RequestMix Mix(const std::string& spec) {
  absl::StatusOr<RequestMix> mix = RequestMix::Parse(spec);
  EXPECT_TRUE(mix.ok()) << mix.status();
  return *mix;
}

int64_t SumRequests(const Report& report) {
  int64_t sum = 0;
  for (const CallStats& stats : report.calls) sum += stats.requests;
  return sum;
}

std::string Errors(const CallStats& stats) {
  std::string out;
  for (const auto& [code, count] : stats.errors_by_code) {
    out += code + "=" + std::to_string(count) + " ";
  }
  return out;
}

// A server holding products and users named the way tools/demo names them,
// so the generator's numbered ids find them.
class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(kDim);
    std::mt19937_64 rng(7);
    std::vector<v1::Item> items;
    for (const std::string& id : NumberedIds("p", kProducts, 6)) {
      v1::Item item;
      item.set_id(id);
      item.set_kind(v1::ITEM_KIND_PRODUCT);
      item.set_category("skincare");
      item.mutable_product()->set_price_cents(1999);
      item.mutable_product()->set_stock(5);
      for (float x : RandomUnit(kDim, rng)) item.add_embedding(x);
      items.push_back(std::move(item));
    }
    ASSERT_TRUE(server_->Upsert(std::move(items)).ok());
    std::vector<v1::User> users;
    for (const std::string& id : NumberedIds("u", kUsers, 6)) {
      v1::User user;
      user.set_id(id);
      user.set_region("shanghai");
      for (float x : RandomUnit(kDim, rng)) user.add_embedding(x);
      users.push_back(std::move(user));
    }
    ASSERT_TRUE(server_->UpsertUsers(std::move(users)).ok());
  }

  RequestFactory Factory(const RequestMix& mix) {
    RequestShape shape;
    shape.feed_count = 10;
    shape.rank_products = 8;
    shape.lookalike_seeds = 3;
    absl::StatusOr<RequestFactory> factory = RequestFactory::Create(
        NumberedIds("u", kUsers, 6), NumberedIds("p", kProducts, 6), shape, mix);
    EXPECT_TRUE(factory.ok()) << factory.status();
    return *std::move(factory);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(LoadgenTest, OpenLoopSendsEveryScheduledRequestWithoutErrors) {
  const RequestMix mix =
      Mix("GetFeed:40,RankProducts:20,GetRelated:20,FindLookalikes:20");
  const RequestFactory factory = Factory(mix);
  LoadOptions options;
  options.mode = LoopMode::kOpen;
  options.rate = 40;
  options.warmup = absl::Milliseconds(300);
  options.duration = absl::Milliseconds(1500);
  // Generous, so a slow (sanitizer) build is not mistaken for a failure.
  options.deadline = absl::Seconds(10);
  absl::StatusOr<RunResult> result = RunLoad(options, mix, factory, {server_->channel()});
  ASSERT_TRUE(result.ok()) << result.status();

  // Every due request is a record, and each starts exactly when it was due:
  // latency counts from the schedule, not from the send.
  const OpenLoopSchedule schedule(options.rate);
  const int64_t due = schedule.CountWithin(1800 * kMs);
  EXPECT_EQ(due, 72);
  ASSERT_EQ(static_cast<int64_t>(result->records.size()), due);
  std::vector<int64_t> starts;
  for (const CallRecord& record : result->records) {
    starts.push_back(record.start_ns);
    EXPECT_GE(record.latency_ns, 0);
    EXPECT_GE(record.send_lag_ns, 0);
  }
  std::sort(starts.begin(), starts.end());
  for (int64_t i = 0; i < due; ++i) EXPECT_EQ(starts[i], schedule.OffsetNs(i));

  SummaryOptions summary;
  summary.warmup_ns = 300 * kMs;
  summary.duration_ns = 1500 * kMs;
  summary.interval_ns = 500 * kMs;
  const Report report = Summarize(result->records, summary);
  EXPECT_EQ(report.warmup_requests, schedule.CountWithin(300 * kMs));
  EXPECT_EQ(report.overall.requests + report.warmup_requests, due);
  EXPECT_EQ(report.overall.requests, report.overall.ok + report.overall.errors);
  EXPECT_EQ(report.overall.errors, 0) << Errors(report.overall);
  EXPECT_EQ(report.overall.latency.count, report.overall.ok);
  EXPECT_EQ(SumRequests(report), report.overall.requests);
  ASSERT_EQ(report.calls.size(), 4u) << "every call of the mix was sent";
  for (const CallStats& stats : report.calls) {
    EXPECT_GT(stats.requests, 0) << stats.name;
    EXPECT_EQ(stats.requests, stats.ok + stats.errors) << stats.name;
  }
  EXPECT_DOUBLE_EQ(report.overall.rate, static_cast<double>(report.overall.ok) / 1.5);

  ASSERT_EQ(report.timeline.size(), 4u);  // 0, 0.5, 1.0, 1.5 s
  int64_t timeline_requests = 0;
  for (const TimelineRow& row : report.timeline) {
    timeline_requests += row.requests;
    EXPECT_EQ(row.requests, row.ok + row.errors);
  }
  EXPECT_EQ(timeline_requests, due);
  EXPECT_TRUE(report.timeline[0].warmup);
  EXPECT_FALSE(report.timeline[1].warmup);
}

TEST_F(LoadgenTest, ClosedLoopKeepsCallersBusyWithoutErrors) {
  const RequestMix mix = Mix("GetFeed:70,RankProducts:20,GetRelated:10");
  const RequestFactory factory = Factory(mix);
  LoadOptions options;
  options.mode = LoopMode::kClosed;
  options.concurrency = 2;
  options.warmup = absl::Milliseconds(200);
  options.duration = absl::Milliseconds(1000);
  options.deadline = absl::Seconds(10);
  absl::StatusOr<RunResult> result = RunLoad(options, mix, factory, {server_->channel()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->concurrency, 2);

  SummaryOptions summary;
  summary.warmup_ns = 200 * kMs;
  summary.duration_ns = 1000 * kMs;
  const Report report = Summarize(result->records, summary);
  EXPECT_EQ(report.overall.requests + report.warmup_requests,
            static_cast<int64_t>(result->records.size()));
  EXPECT_GT(report.overall.requests, 0);
  EXPECT_EQ(report.overall.requests, report.overall.ok + report.overall.errors);
  EXPECT_EQ(report.overall.errors, 0) << Errors(report.overall);
  EXPECT_EQ(report.overall.dropped, 0);
  EXPECT_EQ(SumRequests(report), report.overall.requests);
  for (const CallRecord& record : result->records) {
    EXPECT_GE(record.latency_ns, 0);
    EXPECT_LT(record.start_ns, 1200 * kMs) << "nothing is sent after the end";
  }
}

TEST_F(LoadgenTest, IngestWritesNewItemsAndEventsAndCountsRows) {
  const RequestMix mix = Mix("UpsertItems:1,RecordEvents:1");
  RequestShape shape;
  shape.upsert_batch = 7;
  shape.event_batch = 11;
  shape.dim = kDim;
  shape.new_item_prefix = "ingest-";
  absl::StatusOr<RequestFactory> factory = RequestFactory::Create(
      NumberedIds("u", kUsers, 6), NumberedIds("p", kProducts, 6), shape, mix);
  ASSERT_TRUE(factory.ok()) << factory.status();
  LoadOptions options;
  options.mode = LoopMode::kClosed;
  options.concurrency = 2;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(800);
  options.deadline = absl::Seconds(10);
  absl::StatusOr<RunResult> result =
      RunLoad(options, mix, *factory, {server_->channel()});
  ASSERT_TRUE(result.ok()) << result.status();

  SummaryOptions summary;
  summary.duration_ns = 800 * kMs;
  for (CallType type : kAllCallTypes) {
    summary.rows_per_request.push_back(factory->RowsPerRequest(type));
  }
  const Report report = Summarize(result->records, summary);
  EXPECT_EQ(report.overall.errors, 0) << Errors(report.overall);
  ASSERT_EQ(report.calls.size(), 2u);
  const CallStats& upserts = report.calls[0];
  const CallStats& events = report.calls[1];
  ASSERT_EQ(upserts.name, "UpsertItems");
  ASSERT_EQ(events.name, "RecordEvents");
  EXPECT_GT(upserts.ok, 0);
  EXPECT_GT(events.ok, 0);
  EXPECT_EQ(upserts.rows_per_request, 7);
  EXPECT_EQ(events.rows_per_request, 11);
  EXPECT_DOUBLE_EQ(upserts.rows_rate, upserts.rate * 7);
  EXPECT_DOUBLE_EQ(events.rows_rate, events.rate * 11);
  EXPECT_DOUBLE_EQ(report.overall.rows_rate, upserts.rows_rate + events.rows_rate);

  // Every acknowledged upsert added 7 new items; none replaced another.
  int64_t acknowledged = 0;
  for (const CallRecord& record : result->records) {
    if (record.type == CallType::kUpsertItems && record.code == 0) ++acknowledged;
  }
  EXPECT_EQ(server_->Status().items(), kProducts + 7 * acknowledged);

  const nlohmann::json json = nlohmann::json::parse(ToJson(report, RunInfo{}));
  EXPECT_EQ(json["calls"]["UpsertItems"]["rows_per_request"], 7);
  EXPECT_DOUBLE_EQ(json["calls"]["RecordEvents"]["rows_per_s"].get<double>(),
                   events.rows_rate);
}

TEST(LoadgenStatsTest, PercentilesOfAHandMadeSet) {
  // 1..1000 ms in a shuffled order.
  std::vector<int64_t> latencies(1000);
  std::iota(latencies.begin(), latencies.end(), 1);
  for (int64_t& ns : latencies) ns *= kMs;
  std::shuffle(latencies.begin(), latencies.end(), std::mt19937_64(3));
  const LatencySummary summary = SummarizeLatencies(latencies);
  EXPECT_EQ(summary.count, 1000);
  EXPECT_DOUBLE_EQ(summary.p50_ms, 500);
  EXPECT_DOUBLE_EQ(summary.p90_ms, 900);
  EXPECT_DOUBLE_EQ(summary.p99_ms, 990);
  EXPECT_DOUBLE_EQ(summary.p999_ms, 999);
  EXPECT_DOUBLE_EQ(summary.max_ms, 1000);
  EXPECT_DOUBLE_EQ(summary.mean_ms, 500.5);

  // Nearest rank on a small set: the smallest value with p% at or below it.
  const std::vector<int64_t> five = {10, 20, 30, 40, 50};
  EXPECT_EQ(PercentileOfSorted(five, 50), 30);  // rank ceil(2.5) = 3
  EXPECT_EQ(PercentileOfSorted(five, 40), 20);  // rank 2 exactly
  EXPECT_EQ(PercentileOfSorted(five, 90), 50);
  EXPECT_EQ(PercentileOfSorted(five, 99.9), 50);
  EXPECT_EQ(PercentileOfSorted(five, 1), 10);
  EXPECT_EQ(PercentileOfSorted({7}, 99.9), 7);
  EXPECT_EQ(PercentileOfSorted({}, 50), 0);
  EXPECT_EQ(SummarizeLatencies({}).count, 0);
}

TEST(LoadgenStatsTest, SummaryCountsErrorsByCodeAndLeavesOutTheWarmup) {
  const std::vector<CallRecord> records = {
      {50 * kMs, 1 * kMs, 0, 0, CallType::kGetFeed},   // warmup
      {100 * kMs, 4 * kMs, 0, 0, CallType::kGetFeed},  // measured from here
      {200 * kMs, 2 * kMs, 0, 0, CallType::kGetFeed},
      {300 * kMs, 1000 * kMs, 0, 4, CallType::kGetFeed},  // DEADLINE_EXCEEDED
      {400 * kMs, 6 * kMs, 0, 0, CallType::kGetRelated},
      {500 * kMs, 0, 0, kDroppedCode, CallType::kGetRelated},
      {550 * kMs, 1 * kMs, 0, 14, CallType::kGetRelated},  // UNAVAILABLE
  };
  SummaryOptions options;
  options.warmup_ns = 100 * kMs;
  options.duration_ns = 500 * kMs;
  options.interval_ns = 200 * kMs;
  const Report report = Summarize(records, options);
  EXPECT_EQ(report.warmup_requests, 1);
  EXPECT_EQ(report.overall.requests, 6);
  EXPECT_EQ(report.overall.ok, 3);
  EXPECT_EQ(report.overall.errors, 3);
  EXPECT_EQ(report.overall.dropped, 1);
  EXPECT_EQ(report.overall.errors_by_code,
            (std::map<std::string, int64_t>{
                {"DEADLINE_EXCEEDED", 1}, {"DROPPED", 1}, {"UNAVAILABLE", 1}}));
  EXPECT_DOUBLE_EQ(report.overall.rate, 3 / 0.5);
  // OK latencies only: 2, 4, 6 ms.
  EXPECT_DOUBLE_EQ(report.overall.latency.p50_ms, 4);
  EXPECT_DOUBLE_EQ(report.overall.latency.max_ms, 6);
  ASSERT_EQ(report.calls.size(), 2u);
  EXPECT_EQ(report.calls[0].name, "GetFeed");
  EXPECT_EQ(report.calls[0].requests, 3);
  EXPECT_EQ(report.calls[1].name, "GetRelated");
  EXPECT_EQ(report.calls[1].errors, 2);
  // Rows [0,200) [200,400) [400,600): the warmup record is in the first.
  ASSERT_EQ(report.timeline.size(), 3u);
  EXPECT_EQ(report.timeline[0].requests, 2);
  EXPECT_TRUE(report.timeline[0].warmup);
  EXPECT_EQ(report.timeline[1].requests, 2);
  EXPECT_EQ(report.timeline[1].errors, 1);
  EXPECT_EQ(report.timeline[2].requests, 3);
  EXPECT_EQ(report.timeline[2].ok, 1);
  EXPECT_EQ(report.timeline[2].errors, 2);
  EXPECT_DOUBLE_EQ(report.timeline[2].rate, 1 / 0.2);

  // The JSON carries the same figures, and quotes what needs quoting.
  RunInfo info;
  info.mode = "open";
  info.flags = {{"mix", "GetFeed:70,\"odd\""}};
  const nlohmann::json json = nlohmann::json::parse(ToJson(report, info));
  EXPECT_EQ(json["overall"]["errors_by_code"]["DROPPED"], 1);
  EXPECT_EQ(json["calls"]["GetRelated"]["errors"], 2);
  EXPECT_DOUBLE_EQ(json["overall"]["latency_ms"]["p50"].get<double>(), 4);
  EXPECT_EQ(json["flags"]["mix"], "GetFeed:70,\"odd\"");
  ASSERT_EQ(json["timeline"].size(), 3u);
  EXPECT_EQ(json["timeline"][0]["warmup"], true);
  const nlohmann::json empty =
      nlohmann::json::parse(ToJson(Summarize({}, options), info));
  EXPECT_EQ(empty["overall"]["requests"], 0);
  EXPECT_EQ(empty["overall"]["latency_ms"]["count"], 0);
}

TEST(LoadgenMixTest, ParsesWeightsAndPicksInProportion) {
  const RequestMix mix =
      Mix("GetFeed:70, rankproducts:20,GetRelated:10,FindLookalikes:0");
  EXPECT_EQ(mix.ToString(), "GetFeed:70,RankProducts:20,GetRelated:10");
  EXPECT_FALSE(mix.Uses(CallType::kFindLookalikes));
  EXPECT_DOUBLE_EQ(mix.Share(CallType::kRankProducts), 0.2);
  std::mt19937_64 rng(5);
  std::map<CallType, int> picks;
  for (int i = 0; i < 20000; ++i) ++picks[mix.Pick(rng)];
  EXPECT_NEAR(picks[CallType::kGetFeed] / 20000.0, 0.7, 0.02);
  EXPECT_NEAR(picks[CallType::kRankProducts] / 20000.0, 0.2, 0.02);
  EXPECT_NEAR(picks[CallType::kGetRelated] / 20000.0, 0.1, 0.02);
  EXPECT_EQ(picks.count(CallType::kFindLookalikes), 0u);

  for (const char* bad : {"GetFeed", "GetFeed:x", "GetFeed:-1", "Unknown:1",
                          "GetFeed:1,GetFeed:2", "GetFeed:0", ""}) {
    EXPECT_FALSE(RequestMix::Parse(bad).ok()) << bad;
  }
}

TEST(LoadgenRequestsTest, NumberedIdsAndDistinctProducts) {
  EXPECT_EQ(NumberedIds("u", 3, 6),
            (std::vector<std::string>{"u000000", "u000001", "u000002"}));
  const RequestMix mix = Mix("RankProducts:1,FindLookalikes:1");
  RequestShape shape;
  shape.rank_products = 5;
  shape.lookalike_seeds = 5;
  absl::StatusOr<RequestFactory> factory =
      RequestFactory::Create(NumberedIds("u", 5, 6), NumberedIds("p", 5, 6), shape, mix);
  ASSERT_TRUE(factory.ok()) << factory.status();
  std::mt19937_64 rng(1);
  for (int i = 0; i < 50; ++i) {
    const v1::RankProductsRequest rank = factory->Rank(rng);
    std::vector<std::string> ids(rank.product_ids().begin(), rank.product_ids().end());
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, NumberedIds("p", 5, 6)) << "all 5 products, each once";
    EXPECT_EQ(factory->Lookalikes(rng).seed_user_ids_size(), 5);
  }
  shape.rank_products = 6;  // more than there are items
  EXPECT_FALSE(
      RequestFactory::Create(NumberedIds("u", 5, 6), NumberedIds("p", 5, 6), shape, mix)
          .ok());
}

TEST(LoadgenRequestsTest, IngestBatchesAreNewUnitItemsAndKnownEvents) {
  const RequestMix mix = Mix("UpsertItems:1,RecordEvents:1");
  RequestShape shape;
  shape.upsert_batch = 50;
  shape.event_batch = 200;
  shape.dim = 4;
  shape.new_item_prefix = "n-";
  const std::vector<std::string> users = NumberedIds("u", 3, 6);
  const std::vector<std::string> items = NumberedIds("p", 4, 6);
  absl::StatusOr<RequestFactory> factory =
      RequestFactory::Create(users, items, shape, mix);
  ASSERT_TRUE(factory.ok()) << factory.status();
  std::mt19937_64 rng(2);
  std::set<std::string> ids;
  for (int call = 0; call < 3; ++call) {
    const v1::UpsertItemsRequest upsert = factory->Upsert(rng);
    ASSERT_EQ(upsert.items_size(), 50);
    for (const v1::Item& item : upsert.items()) {
      EXPECT_TRUE(ids.insert(item.id()).second) << item.id();
      EXPECT_EQ(item.id().rfind("n-", 0), 0u) << item.id();
      ASSERT_EQ(item.embedding_size(), 4);
      double norm = 0;
      for (float x : item.embedding()) norm += static_cast<double>(x) * x;
      EXPECT_NEAR(norm, 1.0, 1e-5);
    }
  }
  const v1::RecordEventsRequest events = factory->Events(rng);
  ASSERT_EQ(events.events_size(), 200);
  for (const v1::Event& event : events.events()) {
    EXPECT_NE(std::find(users.begin(), users.end(), event.user_id()), users.end());
    EXPECT_NE(std::find(items.begin(), items.end(), event.item_id()), items.end());
    EXPECT_NE(event.type(), v1::EVENT_TYPE_UNSPECIFIED);
    EXPECT_GT(event.timestamp_ms(), 0);
  }
  EXPECT_EQ(factory->RowsPerRequest(CallType::kUpsertItems), 50);
  EXPECT_EQ(factory->RowsPerRequest(CallType::kRecordEvents), 200);
  EXPECT_EQ(factory->RowsPerRequest(CallType::kGetFeed), 1);

  for (auto bad :
       {std::pair{&RequestShape::upsert_batch, 0},
        std::pair{&RequestShape::upsert_batch, 1001},
        std::pair{&RequestShape::event_batch, 0},
        std::pair{&RequestShape::event_batch, 10001}, std::pair{&RequestShape::dim, 0}}) {
    RequestShape wrong = shape;
    wrong.*bad.first = bad.second;
    EXPECT_FALSE(RequestFactory::Create(users, items, wrong, mix).ok()) << bad.second;
  }
  EXPECT_FALSE(RequestFactory::Create(users, {}, shape, Mix("RecordEvents:1")).ok());
  EXPECT_FALSE(factory->Upsert(rng).validate_only());
  EXPECT_FALSE(factory->Events(rng).validate_only());

  // --validate_only: the same writes, sent as dry runs.
  shape.validate_only = true;
  absl::StatusOr<RequestFactory> dry = RequestFactory::Create(users, items, shape, mix);
  ASSERT_TRUE(dry.ok()) << dry.status();
  const v1::UpsertItemsRequest dry_upsert = dry->Upsert(rng);
  const v1::RecordEventsRequest dry_events = dry->Events(rng);
  EXPECT_TRUE(dry_upsert.validate_only());
  EXPECT_EQ(dry_upsert.items_size(), 50);
  EXPECT_TRUE(dry_events.validate_only());
  EXPECT_EQ(dry_events.events_size(), 200);
}

TEST(LoadgenScheduleTest, RequestIIsDueAtIOverRate) {
  const OpenLoopSchedule schedule(3);
  EXPECT_EQ(schedule.OffsetNs(0), 0);
  EXPECT_EQ(schedule.OffsetNs(1), 333'333'333);
  EXPECT_EQ(schedule.OffsetNs(2), 666'666'667);
  EXPECT_EQ(schedule.OffsetNs(3), 1'000'000'000);
  EXPECT_EQ(schedule.CountWithin(1'000'000'000), 3);
  EXPECT_EQ(schedule.CountWithin(1'000'000'001), 4);
  EXPECT_EQ(schedule.CountWithin(0), 0);
  EXPECT_EQ(OpenLoopSchedule(500).CountWithin(30'000'000'000), 15000);
}

}  // namespace
}  // namespace zhongcao::loadgen
