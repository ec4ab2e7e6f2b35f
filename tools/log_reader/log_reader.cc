#include "tools/log_reader/log_reader.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"

namespace zhongcao::log_reader {
namespace {

v1::ReadLogRequest FirstPage(const LogRange& range) {
  v1::ReadLogRequest request;
  request.set_since_ms(range.since_ms);
  request.set_until_ms(range.until_ms);
  request.set_user_id(range.user_id);
  request.set_limit(range.page_limit);
  return request;
}

// One loop for both logs: `call` is the RPC, `rows` the page's rows.
template <typename Response, typename Row, typename Call, typename Rows>
absl::Status ReadAll(const char* method, const LogRange& range, Call call, Rows rows,
                     const std::function<absl::Status(Row&)>& each) {
  v1::ReadLogRequest request = FirstPage(range);
  for (;;) {
    Response response;
    grpc::Status status;
    for (int attempt = 0; attempt <= range.retries; ++attempt) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + range.deadline));
      response.Clear();
      status = call(&context, request, &response);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
          status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        break;
      }
    }
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat(method, ": ", status.error_message()));
    }
    for (Row& row : *rows(&response)) {
      if (absl::Status s = each(row); !s.ok()) return s;
    }
    if (response.next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(response.next_page_token());
  }
}

}  // namespace

std::shared_ptr<grpc::Channel> LogChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::Status ReadExposures(v1::AdminService::StubInterface& stub, const LogRange& range,
                           const std::function<absl::Status(v1::Exposure&)>& each) {
  return ReadAll<v1::ReadExposuresResponse, v1::Exposure>(
      "ReadExposures", range,
      [&](grpc::ClientContext* c, const v1::ReadLogRequest& r,
          v1::ReadExposuresResponse* out) { return stub.ReadExposures(c, r, out); },
      [](v1::ReadExposuresResponse* r) { return r->mutable_exposures(); }, each);
}

absl::Status ReadOutcomes(v1::AdminService::StubInterface& stub, const LogRange& range,
                          const std::function<absl::Status(v1::Outcome&)>& each) {
  return ReadAll<v1::ReadOutcomesResponse, v1::Outcome>(
      "ReadOutcomes", range,
      [&](grpc::ClientContext* c, const v1::ReadLogRequest& r,
          v1::ReadOutcomesResponse* out) { return stub.ReadOutcomes(c, r, out); },
      [](v1::ReadOutcomesResponse* r) { return r->mutable_outcomes(); }, each);
}

}  // namespace zhongcao::log_reader
