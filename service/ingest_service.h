// zhongcao.v1.IngestService over gRPC: converts requests for the Node's
// write path and maps its errors to status codes.
#pragma once

#include "service/node.h"
#include "zhongcao/v1/ingest.grpc.pb.h"

namespace zhongcao::service {

class IngestService final : public v1::IngestService::CallbackService {
 public:
  explicit IngestService(Node& node) : node_(node) {}

  grpc::ServerUnaryReactor* UpsertItems(grpc::CallbackServerContext* context,
                                        const v1::UpsertItemsRequest* request,
                                        v1::UpsertItemsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteItems(grpc::CallbackServerContext* context,
                                        const v1::DeleteItemsRequest* request,
                                        v1::DeleteItemsResponse* response) override;
  grpc::ServerUnaryReactor* UpsertUsers(grpc::CallbackServerContext* context,
                                        const v1::UpsertUsersRequest* request,
                                        v1::UpsertUsersResponse* response) override;
  grpc::ServerUnaryReactor* UpsertCreators(grpc::CallbackServerContext* context,
                                           const v1::UpsertCreatorsRequest* request,
                                           v1::UpsertCreatorsResponse* response) override;
  grpc::ServerUnaryReactor* RecordEvents(grpc::CallbackServerContext* context,
                                         const v1::RecordEventsRequest* request,
                                         v1::RecordEventsResponse* response) override;
  grpc::ServerReadReactor<v1::RecordEventsRequest>* StreamEvents(
      grpc::CallbackServerContext* context, v1::RecordEventsResponse* response) override;
  grpc::ServerUnaryReactor* SetEmbeddings(grpc::CallbackServerContext* context,
                                          const v1::SetEmbeddingsRequest* request,
                                          v1::SetEmbeddingsResponse* response) override;

 private:
  Node& node_;
};

}  // namespace zhongcao::service
