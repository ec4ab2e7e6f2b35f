// zhongcao_cli: a command-line client of the zhongcao.v1 gRPC API, printing
// responses as JSON. Example:
//   zhongcao_cli feed --user=u000001 --count=10
//   zhongcao_cli event --user=u000001 --item=n000042 --type=click
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "zhongcao/v1/admin.grpc.pb.h"
#include "zhongcao/v1/ingest.grpc.pb.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

ABSL_FLAG(std::string, path, "", "load-index: snapshot directory on the server");
ABSL_FLAG(std::string, target, "localhost:50051", "Server address");
ABSL_FLAG(std::string, user, "", "User id (feed, rank, event)");
ABSL_FLAG(std::string, item, "", "Item id (related, event)");
ABSL_FLAG(std::string, products, "", "Comma-separated product ids (rank)");
ABSL_FLAG(std::string, region, "", "Request region, e.g. shanghai");
ABSL_FLAG(std::string, kinds, "", "Comma-separated kinds: product,note,video,live");
ABSL_FLAG(std::string, type, "click",
          "Event type (event), e.g. impression, click, purchase");
ABSL_FLAG(int, count, 10, "Items wanted (feed, related)");
ABSL_FLAG(std::string, page_token, "",
          "next_page_token of the previous page (feed, exposures, outcomes)");
ABSL_FLAG(bool, debug, false, "Ask for the pipeline trace (feed)");
ABSL_FLAG(int, deadline_ms, 5000, "Per-call deadline");
ABSL_FLAG(std::string, request_id, "",
          "event: the response that led to it (its request_id), for the outcome log");
ABSL_FLAG(int64_t, since_ms, 0, "exposures, outcomes: from this Unix ms (inclusive)");
ABSL_FLAG(int64_t, until_ms, 0,
          "exposures, outcomes: to this Unix ms (exclusive; 0: now)");
ABSL_FLAG(int, limit, 0, "exposures, outcomes: rows per page (0: 100)");

namespace {

using namespace zhongcao;

constexpr char kUsage[] =
    "zhongcao_cli <command> [flags]\n"
    "commands:\n"
    "  status                         what the server holds\n"
    "  feed    --user [--count --region --kinds --page_token --debug]\n"
    "  related --item [--count --region --kinds]\n"
    "  rank    --user --products=p1,p2,...\n"
    "  event   --user --item [--type=click --request_id]\n"
    "  exposures [--since_ms --until_ms --user --limit --page_token]  served responses\n"
    "  outcomes  [--since_ms --until_ms --user --limit --page_token]  events naming a "
    "request\n"
    "  load-index --path=SNAPSHOT     serve an index snapshot (see "
    "zhongcao_build_index)\n"
    "  rollback-index                 serve the previous index version again\n"
    "  compact-index                  fold the growing segment into a new main index";

template <typename Enum>
bool ParseEnum(const std::string& name, const std::string& prefix,
               bool (*parse)(const std::string&, Enum*), Enum* out) {
  return parse(absl::StrCat(prefix, absl::AsciiStrToUpper(name)), out);
}

bool FillKinds(google::protobuf::RepeatedField<int>* kinds) {
  for (absl::string_view k :
       absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',', absl::SkipEmpty())) {
    v1::ItemKind kind;
    if (!ParseEnum(std::string(k), "ITEM_KIND_", &v1::ItemKind_Parse, &kind)) {
      std::cerr << "unknown kind " << k << "\n";
      return false;
    }
    kinds->Add(kind);
  }
  return true;
}

void FillContext(v1::Context* context) {
  context->set_region(absl::GetFlag(FLAGS_region));
}

int Print(const grpc::Status& status, const google::protobuf::Message& response) {
  if (!status.ok()) {
    std::cerr << "error " << status.error_code() << ": " << status.error_message()
              << "\n";
    return 2;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(response, &json, options);
  std::cout << json;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << kUsage << "\n";
    return 1;
  }
  const std::string command = args[1];
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target),
                                     grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms)));

  if (command == "status") {
    v1::GetStatusResponse response;
    return Print(v1::AdminService::NewStub(channel)->GetStatus(&context, {}, &response),
                 response);
  }
  if (command == "load-index" || command == "rollback-index" ||
      command == "compact-index") {
    // Index builds take a while: these wait longer than a request.
    grpc::ClientContext admin;
    admin.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    auto stub = v1::AdminService::NewStub(channel);
    v1::IndexSwapResponse response;
    if (command == "load-index") {
      v1::LoadIndexRequest request;
      request.set_path(absl::GetFlag(FLAGS_path));
      return Print(stub->LoadIndex(&admin, request, &response), response);
    }
    if (command == "rollback-index") {
      return Print(stub->RollbackIndex(&admin, {}, &response), response);
    }
    return Print(stub->CompactIndex(&admin, {}, &response), response);
  }
  if (command == "feed") {
    v1::GetFeedRequest request;
    request.set_user_id(absl::GetFlag(FLAGS_user));
    request.set_count(absl::GetFlag(FLAGS_count));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    request.set_debug(absl::GetFlag(FLAGS_debug));
    FillContext(request.mutable_context());
    if (!FillKinds(request.mutable_kinds())) return 1;
    v1::GetFeedResponse response;
    return Print(
        v1::RecommendService::NewStub(channel)->GetFeed(&context, request, &response),
        response);
  }
  if (command == "related") {
    v1::GetRelatedRequest request;
    request.set_item_id(absl::GetFlag(FLAGS_item));
    request.set_count(absl::GetFlag(FLAGS_count));
    FillContext(request.mutable_context());
    if (!FillKinds(request.mutable_kinds())) return 1;
    v1::GetRelatedResponse response;
    return Print(
        v1::RecommendService::NewStub(channel)->GetRelated(&context, request, &response),
        response);
  }
  if (command == "rank") {
    v1::RankProductsRequest request;
    request.set_user_id(absl::GetFlag(FLAGS_user));
    FillContext(request.mutable_context());
    for (absl::string_view id :
         absl::StrSplit(absl::GetFlag(FLAGS_products), ',', absl::SkipEmpty())) {
      request.add_product_ids(std::string(id));
    }
    v1::RankProductsResponse response;
    return Print(v1::RecommendService::NewStub(channel)->RankProducts(&context, request,
                                                                      &response),
                 response);
  }
  if (command == "event") {
    v1::RecordEventsRequest request;
    v1::Event* event = request.add_events();
    event->set_user_id(absl::GetFlag(FLAGS_user));
    event->set_item_id(absl::GetFlag(FLAGS_item));
    v1::EventType type;
    if (!ParseEnum(absl::GetFlag(FLAGS_type), "EVENT_TYPE_", &v1::EventType_Parse,
                   &type)) {
      std::cerr << "unknown event type " << absl::GetFlag(FLAGS_type) << "\n";
      return 1;
    }
    event->set_type(type);
    event->set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::RecordEventsResponse response;
    return Print(
        v1::IngestService::NewStub(channel)->RecordEvents(&context, request, &response),
        response);
  }
  if (command == "exposures" || command == "outcomes") {
    v1::ReadLogRequest request;
    request.set_since_ms(absl::GetFlag(FLAGS_since_ms));
    request.set_until_ms(absl::GetFlag(FLAGS_until_ms));
    request.set_user_id(absl::GetFlag(FLAGS_user));
    request.set_limit(absl::GetFlag(FLAGS_limit));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    auto admin = v1::AdminService::NewStub(channel);
    if (command == "exposures") {
      v1::ReadExposuresResponse response;
      return Print(admin->ReadExposures(&context, request, &response), response);
    }
    v1::ReadOutcomesResponse response;
    return Print(admin->ReadOutcomes(&context, request, &response), response);
  }
  std::cerr << "unknown command " << command << "\n" << kUsage << "\n";
  return 1;
}
