// Top-k by inner product over a FAISS HNSW graph with flat float storage,
// searched by our own loop instead of FAISS 1.7.3's (scalar distances, a
// virtual call per distance, a visited table allocated per query). The graph
// and the file format stay FAISS's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "roaring/roaring.hh"

namespace faiss {
struct Index;
}

namespace zhongcao::index {

class HnswFlatSearch {
 public:
  // A searcher over `index`, or nullptr when it is not an IndexHNSW over
  // flat inner-product float rows (FAISS then searches it). Fails when the
  // graph names nodes or levels that do not exist, which a search would
  // follow out of bounds. Borrows `index`: it must outlive the searcher and
  // not change.
  static absl::StatusOr<std::unique_ptr<HnswFlatSearch>> For(const faiss::Index& index);

  // For tests: search with the portable kernel even where AVX2 exists, so
  // that the fallback path runs on the machines the tests run on.
  static void UsePortableKernelForTesting(bool portable);

  // Up to k (label, inner product) pairs from `allowed` but not `excluded`
  // (null: none), best first, from a beam of ef = max(ef, k) such nodes.
  // Other nodes are walked through, never returned; the walk goes on until
  // it holds ef of them or runs out of graph, so a selective allow-list
  // costs more. `excluded` is for a few ids (a user's seen items), checked
  // apart so that a search need not copy an allow-list of the whole catalog
  // to remove them. Thread-safe; each thread keeps its own scratch space.
  std::vector<std::pair<int64_t, float>> Search(const float* query, int k, int ef,
                                                const Roaring& allowed,
                                                const Roaring* excluded = nullptr) const;

  struct Graph {
    const float* vectors = nullptr;  // row i at vectors[i * dim]
    size_t dim = 0;
    int64_t size = 0;
    const int32_t* neighbors = nullptr;  // -1 ends a list early
    const size_t* offsets = nullptr;     // node i's lists start at neighbors[offsets[i]]
    std::vector<int> level_begin;        // level l: [level_begin[l], level_begin[l + 1])
    int32_t entry = -1;
    int max_level = -1;
  };

 private:
  explicit HnswFlatSearch(Graph graph) : graph_(std::move(graph)) {}

  Graph graph_;
};

}  // namespace zhongcao::index
