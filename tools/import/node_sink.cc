#include "tools/import/node_sink.h"

#include <utility>
#include <vector>

namespace zhongcao::tools {

absl::StatusOr<std::unique_ptr<NodeSink>> NodeSink::Open(service::NodeOptions options) {
  options.sync_writes = false;
  // One index build at the end, on every core, rather than a background
  // compaction every few thousand items competing with the load.
  options.compact_growing_at = 0;
  options.compaction_threads = 0;
  absl::StatusOr<std::unique_ptr<service::Node>> node = service::Node::Open(options);
  if (!node.ok()) return node.status();
  return std::unique_ptr<NodeSink>(new NodeSink(*std::move(node)));
}

absl::Status NodeSink::UpsertItems(std::span<const v1::Item> items, bool validate_only) {
  return node_->UpsertItems({items.begin(), items.end()}, validate_only);
}

absl::Status NodeSink::UpsertUsers(std::span<const v1::User> users, bool validate_only) {
  return node_->UpsertUsers(users, validate_only);
}

absl::Status NodeSink::UpsertCreators(std::span<const v1::Creator> creators,
                                      bool validate_only) {
  return node_->UpsertCreators(creators, validate_only);
}

absl::Status NodeSink::RecordEvents(std::span<const v1::Event> events,
                                    bool validate_only) {
  return node_->RecordEvents({events.begin(), events.end()}, validate_only);
}

absl::Status NodeSink::SetEmbeddings(v1::EmbeddingTarget target,
                                     std::span<const v1::Embedding> embeddings,
                                     bool validate_only) {
  std::vector<service::EmbeddingUpdate> updates;
  updates.reserve(embeddings.size());
  for (const v1::Embedding& embedding : embeddings) {
    updates.push_back(
        {embedding.id(), {embedding.values().begin(), embedding.values().end()}});
  }
  switch (target) {
    case v1::EMBEDDING_TARGET_ITEMS:
      return node_->SetItemEmbeddings(updates, validate_only);
    case v1::EMBEDDING_TARGET_USERS:
      return node_->SetUserEmbeddings(updates, validate_only);
    default:
      return absl::InvalidArgumentError("target: must be set");
  }
}

absl::Status NodeSink::Finish() {
  if (absl::Status s = node_->Sync(); !s.ok()) return s;
  // An offline load is the moment to fold its merge operands and its
  // write-ahead log into compacted tables (FeatureStore::CompactAll): the
  // server then neither replays the log nor folds operands on every read.
  if (absl::Status s = node_->CompactStore(); !s.ok()) return s;
  // Folding the loaded vectors into the main index also saves it as the
  // current snapshot; with nothing to fold, a snapshot is saved as it is.
  if (node_->index()->Stats().growing > 0) return node_->BuildIndex();
  return node_->SaveSnapshot();
}

}  // namespace zhongcao::tools
