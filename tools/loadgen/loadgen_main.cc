// zhongcao_loadgen: offers load to a zhongcao server and reports latency
// percentiles, achieved rate and errors, as a table and as JSON. See
// README.md ("Load generator") and --help. For example:
//   zhongcao_loadgen --target=localhost:50051 --mode=open --rate=200
//       --duration=20s --mix=GetFeed:70,RankProducts:20,GetRelated:10
//       --json_out=loadgen.json
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/request_mix.h"
#include "tools/loadgen/requests.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/stats.h"
#include "zhongcao/v1/admin.grpc.pb.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

ABSL_FLAG(std::string, target, "localhost:50051", "Server address, host:port.");
ABSL_FLAG(std::string, mode, "open",
          "open: a constant arrival rate (--rate), latency measured from when "
          "each request was due; closed: --concurrency callers sending back to "
          "back, for the maximum throughput.");
ABSL_FLAG(double, rate, 500, "Open loop: requests per second.");
ABSL_FLAG(int, concurrency, 0,
          "Closed loop: concurrent callers (0: 16). Open loop: the most "
          "requests in flight; a request due beyond it is dropped and counted "
          "as an error (0: 2 x rate x deadline, at least 64).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(30),
          "Measured time, after the warmup.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(5),
          "Time under load before the measured time; not in the figures.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(1),
          "Per-call deadline; a call past it is a DEADLINE_EXCEEDED error.");
ABSL_FLAG(std::string, mix, "GetFeed:70,RankProducts:20,GetRelated:10",
          "Calls and their relative weights: GetFeed, RankProducts, "
          "GetRelated, FindLookalikes, and the batched writes UpsertItems "
          "(new items) and RecordEvents (events on --items by --users).");
ABSL_FLAG(std::string, users_file, "",
          "User ids, one per line; overrides --user_prefix/--user_count.");
ABSL_FLAG(std::string, user_prefix, "u",
          "User ids are <prefix><number>, as in tools/demo.");
ABSL_FLAG(int64_t, user_count, 5000,
          "Users numbered 0..user_count-1 (the demo catalog of tools/demo.sh has 5000).");
ABSL_FLAG(std::string, items_file, "",
          "Item ids (GetRelated seeds, RankProducts products), one per line; "
          "overrides --item_prefix/--item_count.");
ABSL_FLAG(std::string, item_prefix, "p",
          "Item ids are <prefix><number>; the demo's products are p000000...");
ABSL_FLAG(
    int64_t, item_count, 10000,
    "Items numbered 0..item_count-1 (the demo of tools/demo.sh has 10000 products).");
ABSL_FLAG(int, id_width, 6, "Digits of the zero-padded number in generated ids.");
ABSL_FLAG(int, feed_count, 20, "count of GetFeed, GetRelated and FindLookalikes.");
ABSL_FLAG(
    int, rank_products, 20,
    "Product ids per RankProducts call (0: the server finds products for the user).");
ABSL_FLAG(int, lookalike_seeds, 10, "Seed users per FindLookalikes call.");
ABSL_FLAG(std::string, region, "", "Context region of every request; empty: the user's.");
ABSL_FLAG(int, upsert_batch, 1000, "New items per UpsertItems call (1..1000).");
ABSL_FLAG(int, event_batch, 1000, "Events per RecordEvents call (1..10000).");
ABSL_FLAG(bool, validate_only, false,
          "Send UpsertItems and RecordEvents as dry runs: the server checks them "
          "whole and writes nothing, so the rate is what writes cost before the store.");
ABSL_FLAG(std::string, new_item_prefix, "",
          "Id prefix of the items UpsertItems creates; empty: \"lg<unix "
          "seconds>-\", so that a second run adds items instead of replacing "
          "the first run's.");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(),
          "If set (e.g. 1s), also print and write a timeline of rows this wide: "
          "requests, OK, errors, rate, p50, p99, max of the requests due in each.");
ABSL_FLAG(std::string, json_out, "", "Write the results as JSON to this file.");
ABSL_FLAG(int, channels, 1,
          "gRPC channels (each its own connection) to spread calls over.");
ABSL_FLAG(int, client_threads, 2, "Threads polling for responses.");
ABSL_FLAG(uint64_t, seed, 1, "Random seed of the call mix and the ids drawn.");
ABSL_FLAG(bool, skip_checks, false,
          "Do not check first that the server knows the item ids (GetRelated) "
          "and has vectors for the users (FindLookalikes).");

namespace {

using namespace zhongcao;
using namespace zhongcao::loadgen;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "zhongcao_loadgen: %s\n", status.ToString().c_str());
  return 1;
}

// This tool's own flags and their values, for the JSON record.
std::vector<std::pair<std::string, std::string>> OwnFlags() {
  std::vector<std::pair<std::string, std::string>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "loadgen_main")) {
      flags.emplace_back(std::string(name), flag->CurrentValue());
    }
  }
  std::sort(flags.begin(), flags.end());
  return flags;
}

std::chrono::system_clock::time_point In(std::chrono::seconds seconds) {
  return std::chrono::system_clock::now() + seconds;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ServerStatus(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto admin = v1::AdminService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  context.set_wait_for_ready(true);
  v1::GetStatusResponse status;
  const grpc::Status s = admin->GetStatus(&context, {}, &status);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "GetStatus on ", absl::GetFlag(FLAGS_target), ": ", s.error_message()));
  }
  return std::vector<std::pair<std::string, std::string>>{
      {"server_version", status.server_version()},
      {"items", absl::StrCat(status.items())},
      {"users", absl::StrCat(status.users())},
      {"indexed_vectors", absl::StrCat(status.indexed_vectors())},
      {"index_type", status.index_type()},
      {"index_version", status.index_version()},
      {"dimension", absl::StrCat(status.dimension())}};
}

// A wrong id prefix would not fail loudly under load: an unknown user gets
// a cold-start feed, so the run would measure the wrong thing. A few calls
// first catch it.
absl::Status CheckIds(const std::shared_ptr<grpc::Channel>& channel,
                      const RequestFactory& factory, const RequestMix& mix) {
  auto recommend = v1::RecommendService::NewStub(channel);
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed) + 17);
  const bool uses_items =
      mix.Uses(CallType::kGetRelated) || mix.Uses(CallType::kRecordEvents) ||
      (mix.Uses(CallType::kRankProducts) && factory.shape().rank_products > 0);
  for (int i = 0; uses_items && i < 3; ++i) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(10)));
    v1::GetRelatedRequest request = factory.Related(rng);
    request.set_count(1);
    v1::GetRelatedResponse response;
    const grpc::Status s = recommend->GetRelated(&context, request, &response);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      return absl::NotFoundError(absl::StrCat(
          "item ", request.item_id(),
          " is unknown to the server; check --item_prefix/--item_count/--items_file "
          "(or pass --skip_checks)"));
    }
  }
  // Users: a few spread over the list (distinct, as FindLookalikes wants).
  const std::vector<std::string>& users = factory.users();
  v1::FindLookalikesRequest request;
  const size_t seeds = std::min<size_t>(5, users.size());
  for (size_t i = 0; i < seeds; ++i) {
    request.add_seed_user_ids(users[i * users.size() / seeds]);
  }
  request.set_count(1);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  v1::FindLookalikesResponse response;
  const grpc::Status s = recommend->FindLookalikes(&context, request, &response);
  // FAILED_PRECONDITION: no seed has a vector. Only a warning: a catalog
  // may hold users without vectors on purpose, to measure cold start.
  if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      (s.ok() && response.seeds_without_vector_size() == request.seed_user_ids_size())) {
    std::fprintf(stderr,
                 "zhongcao_loadgen: warning: none of %d users drawn (e.g. %s) has a "
                 "vector on the server; unknown users get cold-start feeds. Check "
                 "--user_prefix/--user_count/--users_file.\n",
                 request.seed_user_ids_size(), request.seed_user_ids(0).c_str());
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Offers load to a zhongcao server and reports latency percentiles, rate "
      "and errors.\n  zhongcao_loadgen --target=localhost:50051 --mode=open "
      "--rate=200 --duration=20s --json_out=out.json");
  absl::ParseCommandLine(argc, argv);

  LoadOptions options;
  absl::StatusOr<LoopMode> mode = ParseLoopMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) return Fail(mode.status());
  options.mode = *mode;
  options.rate = absl::GetFlag(FLAGS_rate);
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.deadline = absl::GetFlag(FLAGS_deadline);
  options.client_threads = absl::GetFlag(FLAGS_client_threads);
  options.seed = absl::GetFlag(FLAGS_seed);
  if (absl::Status s = ValidateLoadOptions(options); !s.ok()) return Fail(s);
  const absl::Duration interval = absl::GetFlag(FLAGS_interval);
  if (interval < absl::ZeroDuration()) {
    return Fail(absl::InvalidArgumentError("interval: must not be negative"));
  }
  const int channel_count = absl::GetFlag(FLAGS_channels);
  if (channel_count < 1 || channel_count > 256) {
    return Fail(absl::InvalidArgumentError("channels: must be within 1..256"));
  }

  absl::StatusOr<RequestMix> mix = RequestMix::Parse(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) return Fail(mix.status());

  // Ids from a file when one is named, else numbered.
  auto ids_of = [](const std::string& file, const std::string& prefix,
                   int count) -> absl::StatusOr<std::vector<std::string>> {
    if (!file.empty()) return ReadIdsFile(file);
    return NumberedIds(prefix, count, absl::GetFlag(FLAGS_id_width));
  };
  absl::StatusOr<std::vector<std::string>> users =
      ids_of(absl::GetFlag(FLAGS_users_file), absl::GetFlag(FLAGS_user_prefix),
             absl::GetFlag(FLAGS_user_count));
  if (!users.ok()) return Fail(users.status());
  absl::StatusOr<std::vector<std::string>> items =
      ids_of(absl::GetFlag(FLAGS_items_file), absl::GetFlag(FLAGS_item_prefix),
             absl::GetFlag(FLAGS_item_count));
  if (!items.ok()) return Fail(items.status());
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < channel_count; ++c) {
    grpc::ChannelArguments args;
    // Without a local pool, channels with equal arguments share one
    // connection, and --channels would change nothing.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args));
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> server =
      ServerStatus(channels[0]);
  if (!server.ok()) return Fail(server.status());

  RequestShape shape;
  shape.feed_count = absl::GetFlag(FLAGS_feed_count);
  shape.rank_products = absl::GetFlag(FLAGS_rank_products);
  shape.lookalike_seeds = absl::GetFlag(FLAGS_lookalike_seeds);
  shape.region = absl::GetFlag(FLAGS_region);
  shape.upsert_batch = absl::GetFlag(FLAGS_upsert_batch);
  shape.event_batch = absl::GetFlag(FLAGS_event_batch);
  shape.validate_only = absl::GetFlag(FLAGS_validate_only);
  shape.new_item_prefix = absl::GetFlag(FLAGS_new_item_prefix);
  if (shape.new_item_prefix.empty()) {
    shape.new_item_prefix = absl::StrCat("lg", absl::ToUnixSeconds(absl::Now()), "-");
  }
  for (const auto& [key, value] : *server) {
    if (key == "dimension" && !absl::SimpleAtoi(value, &shape.dim)) shape.dim = 0;
  }
  absl::StatusOr<RequestFactory> factory =
      RequestFactory::Create(*std::move(users), *std::move(items), shape, *mix);
  if (!factory.ok()) return Fail(factory.status());
  if (!absl::GetFlag(FLAGS_skip_checks)) {
    if (absl::Status s = CheckIds(channels[0], *factory, *mix); !s.ok()) return Fail(s);
  }

  std::fprintf(stderr, "zhongcao_loadgen: %s loop on %s, mix %s, %s warmup + %s\n",
               LoopModeName(options.mode), absl::GetFlag(FLAGS_target).c_str(),
               mix->ToString().c_str(), absl::FormatDuration(options.warmup).c_str(),
               absl::FormatDuration(options.duration).c_str());
  absl::StatusOr<RunResult> result = RunLoad(options, *mix, *factory, channels);
  if (!result.ok()) return Fail(result.status());

  SummaryOptions summary;
  summary.warmup_ns = absl::ToInt64Nanoseconds(options.warmup);
  summary.duration_ns = absl::ToInt64Nanoseconds(options.duration);
  summary.interval_ns = absl::ToInt64Nanoseconds(interval);
  for (CallType type : kAllCallTypes) {
    summary.rows_per_request.push_back(factory->RowsPerRequest(type));
  }
  const Report report = Summarize(result->records, summary);

  RunInfo info;
  info.mode = LoopModeName(options.mode);
  info.offered_rate = options.mode == LoopMode::kOpen ? options.rate : 0;
  info.concurrency = result->concurrency;
  info.wall_seconds = result->wall_seconds;
  info.flags = OwnFlags();
  info.server = *std::move(server);
  info.server.insert(info.server.begin(), {"target", absl::GetFlag(FLAGS_target)});
  info.machine = ReadMachineInfo();

  std::printf("%s", FormatTable(report, info).c_str());
  if (!report.timeline.empty()) std::printf("\n%s", FormatTimeline(report).c_str());
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    if (absl::Status s = WriteFile(path, ToJson(report, info)); !s.ok()) return Fail(s);
    std::fprintf(stderr, "zhongcao_loadgen: wrote %s\n", path.c_str());
  }
  return 0;
}
