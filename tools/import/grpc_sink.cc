#include "tools/import/grpc_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::tools {
namespace {

absl::Status ToAbsl(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace

GrpcSink::GrpcSink(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout)
    : channel_(std::move(channel)),
      ingest_(v1::IngestService::NewStub(channel_)),
      call_timeout_(call_timeout) {}

absl::StatusOr<std::unique_ptr<GrpcSink>> GrpcSink::Connect(const std::string& target,
                                                            absl::Duration call_timeout) {
  return Connect(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
                 call_timeout);
}

absl::StatusOr<std::unique_ptr<GrpcSink>> GrpcSink::Connect(
    std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout) {
  std::unique_ptr<GrpcSink> sink(new GrpcSink(channel, call_timeout));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetStatusResponse status;
  const grpc::Status got =
      v1::AdminService::NewStub(channel)->GetStatus(&context, {}, &status);
  if (!got.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the server: ", got.error_message()));
  }
  sink->limits_.dim = status.dimension();
  return sink;
}

template <typename Send>
absl::Status GrpcSink::Call(Send send) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + call_timeout_));
  return ToAbsl(send(context));
}

absl::Status GrpcSink::UpsertItems(std::span<const v1::Item> items, bool validate_only) {
  v1::UpsertItemsRequest request;
  request.mutable_items()->Add(items.begin(), items.end());
  request.set_validate_only(validate_only);
  return Call([&](grpc::ClientContext& context) {
    v1::UpsertItemsResponse response;
    return ingest_->UpsertItems(&context, request, &response);
  });
}

absl::Status GrpcSink::UpsertUsers(std::span<const v1::User> users, bool validate_only) {
  v1::UpsertUsersRequest request;
  request.mutable_users()->Add(users.begin(), users.end());
  request.set_validate_only(validate_only);
  return Call([&](grpc::ClientContext& context) {
    v1::UpsertUsersResponse response;
    return ingest_->UpsertUsers(&context, request, &response);
  });
}

absl::Status GrpcSink::UpsertCreators(std::span<const v1::Creator> creators,
                                      bool validate_only) {
  v1::UpsertCreatorsRequest request;
  request.mutable_creators()->Add(creators.begin(), creators.end());
  request.set_validate_only(validate_only);
  return Call([&](grpc::ClientContext& context) {
    v1::UpsertCreatorsResponse response;
    return ingest_->UpsertCreators(&context, request, &response);
  });
}

absl::Status GrpcSink::RecordEvents(std::span<const v1::Event> events,
                                    bool validate_only) {
  v1::RecordEventsRequest request;
  request.mutable_events()->Add(events.begin(), events.end());
  request.set_validate_only(validate_only);
  return Call([&](grpc::ClientContext& context) {
    v1::RecordEventsResponse response;
    return ingest_->RecordEvents(&context, request, &response);
  });
}

absl::Status GrpcSink::SetEmbeddings(v1::EmbeddingTarget target,
                                     std::span<const v1::Embedding> embeddings,
                                     bool validate_only) {
  v1::SetEmbeddingsRequest request;
  request.set_target(target);
  request.mutable_embeddings()->Add(embeddings.begin(), embeddings.end());
  request.set_validate_only(validate_only);
  return Call([&](grpc::ClientContext& context) {
    v1::SetEmbeddingsResponse response;
    return ingest_->SetEmbeddings(&context, request, &response);
  });
}

}  // namespace zhongcao::tools
