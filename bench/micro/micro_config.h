// The data sizes and index settings of one zhongcao_micro_bench run, from
// flags or environment variables, shared by the benchmark cases.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/common/clustered_embeddings.h"
#include "index/vector_index.h"

namespace zhongcao::bench {

struct MicroConfig {
  EmbeddingSpec vectors;  // the item set the ANN cases search
  int queries = 1000;     // distinct query vectors, cycled
  std::vector<std::string> index_types = {"Flat", "HNSW32,Flat", "IVF1024,Flat"};
  // The service's defaults.
  int hnsw_ef_construction = index::IndexOptions().hnsw_ef_construction;
  int hnsw_ef_search = index::IndexOptions().hnsw_ef_search;
  int ivf_nprobe = index::IndexOptions().ivf_nprobe;
  int build_threads = 0;
  int store_items = 20000;          // items in the feature store of the ranking cases
  int candidates = 500;             // per hydration, scoring and re-ranking call
  int page_size = 20;               // `count` given to the re-rankers
  std::filesystem::path cache_dir;  // empty: build every index afresh
};

const MicroConfig& Config();

// Registers the cases with Google Benchmark; the data behind them is built
// on first use, so a --benchmark_filter that skips a family skips its setup.
void RegisterAnnCases();
void RegisterRankingCases();
// Deletes the temporary feature store, if one was made.
void CleanUpRankingCases();

}  // namespace zhongcao::bench
