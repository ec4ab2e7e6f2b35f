// The vectors zhongcao_ann_compare runs over: generated, read from a
// zhongcao index snapshot (what a server serves), or from an .npy/.fvecs
// matrix, each with a key that names the files cached from it.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "bench/ann/engine.h"
#include "bench/common/clustered_embeddings.h"

namespace zhongcao::bench {

// Rows of the generator; ids "i<row>".
Dataset GeneratedDataset(const EmbeddingSpec& spec);

// The live vectors of a snapshot directory (MANIFEST, ids.bin, ...), read
// through index::VectorIndex so that dead and replaced rows are left out.
absl::StatusOr<Dataset> SnapshotDataset(const std::filesystem::path& dir);

// A matrix read by tools/vectors; ids from `ids_file`, else row numbers.
absl::StatusOr<Dataset> MatrixDataset(const std::filesystem::path& matrix,
                                      const std::filesystem::path& ids_file);

}  // namespace zhongcao::bench
