#include "service/server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "service/admin_service.h"
#include "service/ingest_service.h"
#include "service/recommend_service.h"

namespace zhongcao::service {
namespace {

// Served responses go to the node's exposure log unless the caller set
// its own sink.
ranking::RecommenderOptions WithExposureLog(ranking::RecommenderOptions options,
                                            store::ExposureLog* log) {
  if (log != nullptr && !options.exposure_sink) {
    options.exposure_sink = [log](store::ExposureRow exposure) {
      log->Append(std::move(exposure));
    };
  }
  return options;
}

}  // namespace

struct ZhongcaoServer::Services {
  Services(Node& node, const ServerOptions& options)
      : recommender(node.store(), node.index_versions().serving(), node.user_index(),
                    WithExposureLog(options.ranking, node.exposure_log())),
        admission(options.max_concurrent_reads),
        recommend(recommender, node.limits(), admission, options.read_threads),
        ingest(node),
        admin(node, recommender, admission) {}
  ranking::Recommender recommender;
  ConcurrencyLimit admission;  // the read calls', shared with GetStatus
  RecommendService recommend;
  IngestService ingest;
  AdminService admin;
};

absl::StatusOr<std::unique_ptr<ZhongcaoServer>> ZhongcaoServer::Start(
    Node& node, const ServerOptions& options) {
  std::unique_ptr<ZhongcaoServer> server(new ZhongcaoServer());
  server->services_ = std::make_unique<Services>(node, options);
  // A configured model that does not load is a configuration error: better
  // not to start than to serve another ranking than the one asked for.
  if (!options.ranking.ranker_model.empty()) {
    absl::StatusOr<ranking::RankerModelInfo> model =
        server->services_->recommender.LoadRankerModel(options.ranking.ranker_model);
    if (!model.ok()) return model.status();
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(&server->services_->recommend);
  builder.RegisterService(&server->services_->ingest);
  builder.RegisterService(&server->services_->admin);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.address));
  }
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  for (const char* name : {"", "zhongcao.v1.RecommendService",
                           "zhongcao.v1.IngestService", "zhongcao.v1.AdminService"}) {
    health->SetServingStatus(name, true);
  }
  return server;
}

ZhongcaoServer::~ZhongcaoServer() { Shutdown(); }

void ZhongcaoServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->Shutdown();
  // In-flight calls get a few seconds to finish, then are cancelled.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

void ZhongcaoServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace zhongcao::service
