// One ANN engine as zhongcao_ann_compare drives it: built (or loaded from
// the cache) over a data set, then searched one query at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace zhongcao::bench {

// The vectors every engine indexes: row i has id ids[i].
struct Dataset {
  int dim = 0;
  int64_t n = 0;
  std::vector<float> vectors;    // n x dim, row-major
  std::vector<std::string> ids;  // n
  // Per row, whether a filter with available_only (as GetRelated and every
  // feed source set) lets it through; empty when all are.
  std::vector<uint8_t> available;
  std::string key;          // names cached files built from these vectors
  std::string description;  // for the report

  const float* row(int64_t i) const { return vectors.data() + i * dim; }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  // Builds the index over `data`, or loads it from `cache_dir` (empty: no
  // cache) where an earlier run left it. `threads` build threads, 0: all.
  virtual absl::Status Prepare(const Dataset& data,
                               const std::filesystem::path& cache_dir, int threads) = 0;
  virtual bool built_now() const = 0;  // false when it came from the cache
  // False for engines without an efSearch to sweep (exact search, a
  // server): they are measured once.
  virtual bool sweeps_ef() const { return true; }
  // True when the search runs in another process: this thread's CPU time
  // is then only the client's, and no CPU QPS is reported.
  virtual bool remote() const { return false; }
  virtual double build_seconds() const = 0;
  // Sets efSearch for the searches that follow; not timed.
  virtual absl::Status SetEf(int ef) = 0;
  // The timed part: the k best rows for `query`, never row `self` (-1: no
  // row to exclude). Results stay inside the engine until Collect.
  virtual void Search(const float* query, int k, int64_t self) = 0;
  // The last Search's answer as rows, best first, at most k; not timed, so
  // that converting ids is not charged to the search.
  virtual void Collect(std::vector<int64_t>* rows) = 0;
};

// Raw FAISS (the library the service links) through index_factory.
std::unique_ptr<Engine> MakeFaissEngine(const std::string& factory, int ef_construction);
// Exact search with one thread, one query at a time (IndexFlatIP).
std::unique_ptr<Engine> MakeFlatEngine();
// zhongcao's own index::VectorIndex. With `exclude_filter`, a query's own
// item is left out through SearchFilter::exclude_ids, as GetRelated does;
// without, k + 1 are asked for and the item dropped afterwards.
std::unique_ptr<Engine> MakeZhongcaoEngine(const std::string& factory,
                                           int ef_construction, bool exclude_filter);
// hnswlib's HierarchicalNSW with inner product (hnswlib_engine.cc, the only
// code built with -O3 -march=native).
std::unique_ptr<Engine> MakeHnswlibEngine(int m, int ef_construction);
// GetRelated of the server at `target` (host:port), which must serve the
// data set's items under the same ids (a snapshot of its own data
// directory). Answers item queries only.
std::unique_ptr<Engine> MakeGrpcRelatedEngine(const std::string& target);

}  // namespace zhongcao::bench
