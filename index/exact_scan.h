// Exact top-k by inner product over the allowed ids in a range of a dense
// vector table: the growing segment's search, and the fallback for filters
// too selective for a graph search.
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

}  // namespace zhongcao::index
