// Assembles a zhongcao gRPC server over one Node: the v1 services, the
// standard health service and server reflection.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "ranking/recommender.h"
#include "service/node.h"

namespace zhongcao::service {

struct ServerOptions {
  std::string address = "127.0.0.1:50051";  // host:port; port 0 picks one
  ranking::RecommenderOptions ranking;
  int max_message_bytes = 64 << 20;
  // Read calls (GetFeed, RankProducts, GetRelated, FindLookalikes) queued
  // or running before more are refused with RESOURCE_EXHAUSTED (<= 0: no
  // limit), and the threads that run them.
  int max_concurrent_reads = 64;
  int read_threads = 4;
};

class ZhongcaoServer {
 public:
  // Starts serving `node` (which must outlive the server).
  static absl::StatusOr<std::unique_ptr<ZhongcaoServer>> Start(
      Node& node, const ServerOptions& options);
  ~ZhongcaoServer();

  int port() const { return port_; }
  // Stops accepting calls and waits for those in flight.
  void Shutdown();
  void Wait();

 private:
  ZhongcaoServer() = default;
  struct Services;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace zhongcao::service
