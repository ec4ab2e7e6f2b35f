#include "service/ingest_service.h"

#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/unary_call.h"

namespace zhongcao::service {
namespace {

// Repeated message fields are not contiguous, so the write path gets copies.
template <typename T>
std::vector<T> VectorOf(const google::protobuf::RepeatedPtrField<T>& field) {
  return {field.begin(), field.end()};
}

// Builds a response whose one count field is set from `count`.
template <typename Response, typename Setter>
absl::StatusOr<Response> Counted(const absl::StatusOr<int>& count, Setter set) {
  if (!count.ok()) return count.status();
  Response response;
  set(response, *count);
  return response;
}

absl::StatusOr<int> CountOf(const absl::Status& status, int count) {
  if (!status.ok()) return status;
  return count;
}

// Records each streamed message as it arrives; the first bad one ends the
// call with its error, the messages before it staying recorded.
class EventStreamReactor : public grpc::ServerReadReactor<v1::RecordEventsRequest> {
 public:
  EventStreamReactor(Node& node, v1::RecordEventsResponse* response)
      : node_(node), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side: all messages are recorded
      Finish(grpc::Status::OK);
      return;
    }
    absl::Status recorded =
        node_.RecordEvents(VectorOf(request_.events()), request_.validate_only());
    if (!recorded.ok()) {
      Finish(ToGrpcStatus(absl::Status(
          recorded.code(), absl::StrCat("messages[", messages_, "].", recorded.message(),
                                        " (", response_->recorded(),
                                        " events of earlier messages were recorded)"))));
      return;
    }
    if (!request_.validate_only()) {
      response_->set_recorded(response_->recorded() + request_.events_size());
    }
    ++messages_;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  Node& node_;
  v1::RecordEventsResponse* response_;
  v1::RecordEventsRequest request_;
  int messages_ = 0;
};

}  // namespace

grpc::ServerReadReactor<v1::RecordEventsRequest>* IngestService::StreamEvents(
    grpc::CallbackServerContext*, v1::RecordEventsResponse* response) {
  return new EventStreamReactor(node_, response);
}

grpc::ServerUnaryReactor* IngestService::UpsertItems(
    grpc::CallbackServerContext* context, const v1::UpsertItemsRequest* request,
    v1::UpsertItemsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::UpsertItemsResponse>(
        CountOf(node_.UpsertItems(VectorOf(request->items()), request->validate_only()),
                request->items_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::DeleteItems(
    grpc::CallbackServerContext* context, const v1::DeleteItemsRequest* request,
    v1::DeleteItemsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::DeleteItemsResponse>(
        node_.DeleteItems(VectorOf(request->item_ids()), request->validate_only()),
        [](auto& r, int n) { r.set_deleted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::UpsertUsers(
    grpc::CallbackServerContext* context, const v1::UpsertUsersRequest* request,
    v1::UpsertUsersResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::UpsertUsersResponse>(
        CountOf(node_.UpsertUsers(VectorOf(request->users()), request->validate_only()),
                request->users_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::UpsertCreators(
    grpc::CallbackServerContext* context, const v1::UpsertCreatorsRequest* request,
    v1::UpsertCreatorsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::UpsertCreatorsResponse>(
        CountOf(
            node_.UpsertCreators(VectorOf(request->creators()), request->validate_only()),
            request->creators_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::RecordEvents(
    grpc::CallbackServerContext* context, const v1::RecordEventsRequest* request,
    v1::RecordEventsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::RecordEventsResponse>(
        CountOf(node_.RecordEvents(VectorOf(request->events()), request->validate_only()),
                request->events_size()),
        [](auto& r, int n) { r.set_recorded(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::SetEmbeddings(
    grpc::CallbackServerContext* context, const v1::SetEmbeddingsRequest* request,
    v1::SetEmbeddingsResponse* response) {
  absl::Status valid;
  if (request->target() != v1::EMBEDDING_TARGET_ITEMS &&
      request->target() != v1::EMBEDDING_TARGET_USERS) {
    valid = absl::InvalidArgumentError(
        request->target() == v1::EMBEDDING_TARGET_UNSPECIFIED
            ? "target: must be set"
            : absl::StrCat("target: unknown embedding target ", request->target()));
  }
  return AnswerUnary(context, response, valid, [&] {
    std::vector<EmbeddingUpdate> updates;
    updates.reserve(request->embeddings_size());
    for (const v1::Embedding& embedding : request->embeddings()) {
      updates.push_back(
          {embedding.id(), {embedding.values().begin(), embedding.values().end()}});
    }
    const absl::Status set =
        request->target() == v1::EMBEDDING_TARGET_ITEMS
            ? node_.SetItemEmbeddings(updates, request->validate_only())
            : node_.SetUserEmbeddings(updates, request->validate_only());
    return Counted<v1::SetEmbeddingsResponse>(CountOf(set, request->embeddings_size()),
                                              [](auto& r, int n) { r.set_updated(n); });
  });
}

}  // namespace zhongcao::service
