// Where imported rows go: the IngestService of a running server over gRPC
// (grpc_sink.h) or a data directory opened offline (node_sink.h). Both
// answer with the service's own statuses, so a bad row is named the same
// way ("items[3].embedding: ...") whichever way it travels.
#pragma once

#include <span>

#include "absl/status/status.h"
#include "service/validation.h"
#include "zhongcao/v1/ingest.pb.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::tools {

class Sink {
 public:
  virtual ~Sink() = default;

  // The limits rows are checked against locally, with the service's
  // embedding dimension.
  virtual const service::Limits& limits() const = 0;

  // The service's write calls, each all or nothing. With `validate_only`
  // nothing is written (a dry run).
  virtual absl::Status UpsertItems(std::span<const v1::Item> items,
                                   bool validate_only) = 0;
  virtual absl::Status UpsertUsers(std::span<const v1::User> users,
                                   bool validate_only) = 0;
  virtual absl::Status UpsertCreators(std::span<const v1::Creator> creators,
                                      bool validate_only) = 0;
  virtual absl::Status RecordEvents(std::span<const v1::Event> events,
                                    bool validate_only) = 0;
  virtual absl::Status SetEmbeddings(v1::EmbeddingTarget target,
                                     std::span<const v1::Embedding> embeddings,
                                     bool validate_only) = 0;

  // Called once after the last write: makes everything durable.
  virtual absl::Status Finish() = 0;
};

}  // namespace zhongcao::tools
