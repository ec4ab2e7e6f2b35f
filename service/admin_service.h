// zhongcao.v1.AdminService over gRPC: what the node holds and serves.
#pragma once

#include "ranking/recommender.h"
#include "service/node.h"
#include "zhongcao/v1/admin.grpc.pb.h"

namespace zhongcao::service {

class AdminService final : public v1::AdminService::CallbackService {
 public:
  AdminService(const Node& node, const ranking::Recommender& recommender)
      : node_(node), recommender_(recommender) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::GetStatusResponse* response) override;

 private:
  const Node& node_;
  const ranking::Recommender& recommender_;
};

}  // namespace zhongcao::service
