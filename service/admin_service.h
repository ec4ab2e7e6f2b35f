// zhongcao.v1.AdminService over gRPC: what the node holds and serves, and
// switching the item index version.
#pragma once

#include "ranking/recommender.h"
#include "service/background_priority.h"
#include "service/concurrency_limit.h"
#include "service/node.h"
#include "service/worker_pool.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::service {

class AdminService final : public v1::AdminService::CallbackService {
 public:
  // `admission` is the read calls' limit, for the refused count.
  AdminService(Node& node, const ranking::Recommender& recommender,
               const ConcurrencyLimit& admission)
      : node_(node), recommender_(recommender), admission_(admission) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::GetStatusResponse* response) override;
  grpc::ServerUnaryReactor* LoadIndex(grpc::CallbackServerContext* context,
                                      const v1::LoadIndexRequest* request,
                                      v1::IndexSwapResponse* response) override;
  grpc::ServerUnaryReactor* RollbackIndex(grpc::CallbackServerContext* context,
                                          const v1::RollbackIndexRequest* request,
                                          v1::IndexSwapResponse* response) override;
  grpc::ServerUnaryReactor* CompactIndex(grpc::CallbackServerContext* context,
                                         const v1::CompactIndexRequest* request,
                                         v1::IndexSwapResponse* response) override;
  grpc::ServerUnaryReactor* ReadExposures(grpc::CallbackServerContext* context,
                                          const v1::ReadLogRequest* request,
                                          v1::ReadExposuresResponse* response) override;
  grpc::ServerUnaryReactor* ReadOutcomes(grpc::CallbackServerContext* context,
                                         const v1::ReadLogRequest* request,
                                         v1::ReadOutcomesResponse* response) override;
  grpc::ServerUnaryReactor* LoadRankerModel(
      grpc::CallbackServerContext* context, const v1::LoadRankerModelRequest* request,
      v1::LoadRankerModelResponse* response) override;

 private:
  // Runs a version change on the worker and finishes the call from there.
  template <typename Change>
  grpc::ServerUnaryReactor* SwapLater(grpc::CallbackServerContext* context,
                                      v1::IndexSwapResponse* response, Change change);

  Node& node_;
  const ranking::Recommender& recommender_;
  const ConcurrencyLimit& admission_;
  // Last: its tasks use the members above. Index loads run below request
  // threads' priority.
  SerialWorker worker_{LowerThisThreadsPriority};
};

}  // namespace zhongcao::service
