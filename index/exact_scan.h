// Exact top-k by inner product over the allowed ids in a range of a dense
// vector table: the growing segment's search, the main segment's for
// filters too selective for a graph walk to pay, and the fallback when a
// walk comes back short.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "roaring/roaring.hh"

namespace zhongcao::index {

// (id, score) pairs, best first, ties by smaller id, among the allowed ids
// in [begin, end). `vectors` holds row i at vectors[i * dim].
std::vector<std::pair<uint32_t, float>> ExactTopK(std::span<const float> query,
                                                  const float* vectors, int dim,
                                                  const Roaring& allowed, uint32_t begin,
                                                  uint32_t end, int k);

// The same where `rows` holds only the range: row i at rows[(i - begin) *
// dim]. The main and growing segments keep their rows in separate buffers.
std::vector<std::pair<uint32_t, float>> ExactTopKInRange(std::span<const float> query,
                                                         const float* rows, int dim,
                                                         const Roaring& allowed,
                                                         uint32_t begin, uint32_t end,
                                                         int k);

// The same where the range's rows are held in blocks of `block_rows` rows:
// row i in blocks[(i - begin) / block_rows] at ((i - begin) % block_rows) *
// dim (the growing segment, see RowBlocks).
std::vector<std::pair<uint32_t, float>> ExactTopKInBlocks(
    std::span<const float> query, std::span<const float* const> blocks, size_t block_rows,
    int dim, const Roaring& allowed, uint32_t begin, uint32_t end, int k);

// Whether scanning `allowed` of a graph's `nodes` exactly is expected to
// cost less than an HNSW walk with a beam of `ef` (max(efSearch, k)), the
// walk's estimate scaled by `walk_weight` (0: never). See the .cc for the
// model and the measurements behind it.
bool ExactScanIsCheaper(uint64_t allowed, uint64_t nodes, int ef, double walk_weight);

}  // namespace zhongcao::index
