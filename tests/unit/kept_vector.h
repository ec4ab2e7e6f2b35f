// Embeddings for candidates made by hand in tests. Candidate::embedding is
// a view into storage the request's context keeps; here the values are kept
// until the test process ends instead.
#pragma once

#include <deque>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace zhongcao::testing {

// A view of `values` that stays valid for the rest of the process. Safe to
// call from several threads (tests score candidates concurrently).
inline std::span<const float> KeptVector(std::vector<float> values) {
  static auto* mu = new std::mutex();
  static auto* kept = new std::deque<std::vector<float>>();
  std::lock_guard<std::mutex> lock(*mu);
  return kept->emplace_back(std::move(values));
}

}  // namespace zhongcao::testing
