// The main segment: an immutable FAISS index over internal ids [0, size()),
// built once from a factory string and searched with an allow-list. Keeps
// every FAISS type and the OpenMP thread settings inside index/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "index/build_progress.h"
#include "index/hnsw_search.h"
#include "roaring/roaring.hh"

namespace faiss {
struct Index;
}

namespace zhongcao::index {

struct FaissSearchParams {
  int hnsw_ef_search = 48;  // IndexOptions::hnsw_ef_search
  int ivf_nprobe = 32;
};

class FaissSegment {
 public:
  // Builds an index of `factory` over `n` vectors of `dim` floats (label i
  // is row i), training it first when the index type needs it. Uses
  // `threads` OpenMP threads (0: all cores) on the calling thread only.
  // With `progress`, vectors are added in slices and reported after each.
  static absl::StatusOr<std::unique_ptr<FaissSegment>> Build(
      const std::string& factory, int dim, const float* vectors, int64_t n,
      int hnsw_ef_construction, const FaissSearchParams& params, int threads,
      const BuildProgress& progress = {});

  static absl::StatusOr<std::unique_ptr<FaissSegment>> Load(
      const std::filesystem::path& file, const std::string& factory, int dim,
      const FaissSearchParams& params);

  ~FaissSegment();

  // Up to k (label, inner product) pairs among `allowed` but not `excluded`
  // (null: none; meant for a few ids), best first. May return fewer than k
  // when the allow-list is selective.
  absl::StatusOr<std::vector<std::pair<int64_t, float>>> Search(
      std::span<const float> query, int k, const Roaring& allowed,
      const Roaring* excluded = nullptr) const;

  absl::Status Save(const std::filesystem::path& file) const;

  int64_t size() const;
  const std::string& factory() const { return factory_; }
  // True when searches run our own HNSW loop rather than FAISS's.
  bool owns_graph_search() const { return graph_search_ != nullptr; }
  // Row i as dim floats at rows()[i * dim] when the index keeps its vectors
  // as plain floats (flat storage under HNSW, or Flat), so that the caller
  // need not keep a second copy; nullptr for IVF lists or quantised codes.
  // Valid as long as the segment.
  const float* rows() const { return rows_; }

 private:
  FaissSegment(std::unique_ptr<faiss::Index> index, std::string factory,
               const FaissSearchParams& params,
               std::unique_ptr<HnswFlatSearch> graph_search);
  static absl::StatusOr<std::unique_ptr<FaissSegment>> Make(
      std::unique_ptr<faiss::Index> index, std::string factory,
      const FaissSearchParams& params);

  std::unique_ptr<faiss::Index> index_;
  std::unique_ptr<HnswFlatSearch> graph_search_;  // borrows index_
  const float* rows_ = nullptr;                   // into index_, if it has them
  std::string factory_;
  FaissSearchParams params_;
};

// Checks that FAISS can build `factory` for `dim` with inner product.
absl::Status ValidateFactory(const std::string& factory, int dim);

}  // namespace zhongcao::index
