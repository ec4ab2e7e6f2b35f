// A Sink that writes through a running server's gRPC IngestService.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "tools/import/sink.h"
#include "zhongcao/v1/ingest.grpc.pb.h"

namespace zhongcao::tools {

class GrpcSink final : public Sink {
 public:
  // Connects to `target` (host:port) and asks the server for its embedding
  // dimension; each later call may take up to `call_timeout`.
  static absl::StatusOr<std::unique_ptr<GrpcSink>> Connect(
      const std::string& target, absl::Duration call_timeout = absl::Seconds(120));
  // The same over an existing channel (tests).
  static absl::StatusOr<std::unique_ptr<GrpcSink>> Connect(
      std::shared_ptr<grpc::Channel> channel,
      absl::Duration call_timeout = absl::Seconds(120));

  const service::Limits& limits() const override { return limits_; }
  absl::Status UpsertItems(std::span<const v1::Item> items, bool validate_only) override;
  absl::Status UpsertUsers(std::span<const v1::User> users, bool validate_only) override;
  absl::Status UpsertCreators(std::span<const v1::Creator> creators,
                              bool validate_only) override;
  absl::Status RecordEvents(std::span<const v1::Event> events,
                            bool validate_only) override;
  absl::Status SetEmbeddings(v1::EmbeddingTarget target,
                             std::span<const v1::Embedding> embeddings,
                             bool validate_only) override;
  // The server makes every acknowledged write durable itself.
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  GrpcSink(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout);
  // Runs `send(context)` under the call timeout.
  template <typename Send>
  absl::Status Call(Send send);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  absl::Duration call_timeout_;
  service::Limits limits_;
};

}  // namespace zhongcao::tools
