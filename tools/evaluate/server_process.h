// The real zhongcao_server binary, run as a child process on a free
// loopback port over a data directory, and stopped (SIGTERM, then SIGKILL)
// when done or when this object is destroyed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zhongcao::evaluate {

struct ServerProcessOptions {
  std::filesystem::path binary;
  std::filesystem::path data_dir;
  std::filesystem::path config;  // empty: built-in defaults
  std::filesystem::path log;     // the server's stdout and stderr
  int dim = 64;
  std::string index_factory = "HNSW32,Flat";
  int history_limit = 1000;
  std::vector<std::string> extra_args;
  absl::Duration start_timeout = absl::Minutes(5);
};

class ServerProcess {
 public:
  // Starts the server with --listen=127.0.0.1:0 and waits until it says
  // which port it serves on. An error quotes the end of its log.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const ServerProcessOptions& options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // SIGTERM and wait; an error if the server failed to stop cleanly.
  absl::Status Stop();

 private:
  ServerProcess(pid_t pid, int port, std::filesystem::path log)
      : pid_(pid), port_(port), log_(std::move(log)) {}

  pid_t pid_;
  int port_;
  std::filesystem::path log_;
};

// The zhongcao_server beside a build's tools/evaluate binary
// (<build>/service/zhongcao_server), or on PATH; empty if none.
std::filesystem::path FindServerBinary(const std::filesystem::path& self);

}  // namespace zhongcao::evaluate
