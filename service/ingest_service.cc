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
    absl::Status recorded = node_.RecordEvents(VectorOf(request_.events()));
    if (!recorded.ok()) {
      Finish(ToGrpcStatus(absl::Status(
          recorded.code(), absl::StrCat("messages[", messages_, "].", recorded.message(),
                                        " (", response_->recorded(),
                                        " events of earlier messages were recorded)"))));
      return;
    }
    response_->set_recorded(response_->recorded() + request_.events_size());
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
        CountOf(node_.UpsertItems(VectorOf(request->items())), request->items_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::DeleteItems(
    grpc::CallbackServerContext* context, const v1::DeleteItemsRequest* request,
    v1::DeleteItemsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::DeleteItemsResponse>(
        node_.DeleteItems(VectorOf(request->item_ids())),
        [](auto& r, int n) { r.set_deleted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::UpsertUsers(
    grpc::CallbackServerContext* context, const v1::UpsertUsersRequest* request,
    v1::UpsertUsersResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::UpsertUsersResponse>(
        CountOf(node_.UpsertUsers(VectorOf(request->users())), request->users_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::UpsertCreators(
    grpc::CallbackServerContext* context, const v1::UpsertCreatorsRequest* request,
    v1::UpsertCreatorsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::UpsertCreatorsResponse>(
        CountOf(node_.UpsertCreators(VectorOf(request->creators())),
                request->creators_size()),
        [](auto& r, int n) { r.set_upserted(n); });
  });
}

grpc::ServerUnaryReactor* IngestService::RecordEvents(
    grpc::CallbackServerContext* context, const v1::RecordEventsRequest* request,
    v1::RecordEventsResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    return Counted<v1::RecordEventsResponse>(
        CountOf(node_.RecordEvents(VectorOf(request->events())), request->events_size()),
        [](auto& r, int n) { r.set_recorded(n); });
  });
}

}  // namespace zhongcao::service
