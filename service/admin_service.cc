#include "service/admin_service.h"

#include "service/unary_call.h"

namespace zhongcao::service {

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    const store::Counts counts = node_.store().counts();
    const index::IndexStats stats = node_.index().Stats();
    v1::GetStatusResponse status;
    status.set_items(counts.items());
    status.set_users(counts.users());
    status.set_creators(counts.creators());
    status.set_indexed_vectors(stats.live);
    status.set_growing_vectors(stats.growing);
    status.set_index_type(stats.factory);
    status.set_dimension(stats.dim);
    status.set_metric("inner_product");
    status.set_index_version(stats.version);
    status.set_data_dir(node_.data_dir().string());
    status.set_server_version(ZHONGCAO_VERSION);
    for (const auto& [source, count] : recommender_.DegradedSourceCounts()) {
      (*status.mutable_degraded_sources())[source] = count;
    }
    return absl::StatusOr<v1::GetStatusResponse>(std::move(status));
  });
}

}  // namespace zhongcao::service
