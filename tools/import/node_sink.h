// A Sink that writes into a data directory offline, through the service's
// own write path (service::Node), with no server running on it.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "service/node.h"
#include "tools/import/sink.h"

namespace zhongcao::tools {

class NodeSink final : public Sink {
 public:
  // Opens (or creates) the data directory. Writes skip fsync for speed;
  // Finish makes them durable, so a failed import is re-run, not resumed.
  static absl::StatusOr<std::unique_ptr<NodeSink>> Open(service::NodeOptions options);

  const service::Limits& limits() const override { return node_->limits(); }
  absl::Status UpsertItems(std::span<const v1::Item> items, bool validate_only) override;
  absl::Status UpsertUsers(std::span<const v1::User> users, bool validate_only) override;
  absl::Status UpsertCreators(std::span<const v1::Creator> creators,
                              bool validate_only) override;
  absl::Status RecordEvents(std::span<const v1::Event> events,
                            bool validate_only) override;
  absl::Status SetEmbeddings(v1::EmbeddingTarget target,
                             std::span<const v1::Embedding> embeddings,
                             bool validate_only) override;
  // Syncs and compacts the store, builds the main index over what was
  // loaded and saves it as a snapshot, so that the server starts by
  // loading it.
  absl::Status Finish() override;

  service::Node& node() { return *node_; }

 private:
  explicit NodeSink(std::unique_ptr<service::Node> node) : node_(std::move(node)) {}

  std::unique_ptr<service::Node> node_;
};

}  // namespace zhongcao::tools
