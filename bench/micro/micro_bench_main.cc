// zhongcao_micro_bench: micro-benchmarks of the stages of one request.
//
//   zhongcao_micro_bench --benchmark_min_time=0.05            # 100k x 64, seconds
//   zhongcao_micro_bench --n=1000000 --benchmark_filter=ann   # the full ANN run
//   ZHONGCAO_BENCH_N=1000000 zhongcao_micro_bench
//
// Google Benchmark's own flags (--benchmark_filter, --benchmark_min_time,
// --benchmark_format=json, --benchmark_out=...) work as usual; the flags
// below size the data. Built indexes are cached under --cache_dir.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/common/machine_info.h"
#include "bench/micro/micro_config.h"
#include "benchmark/benchmark.h"

ABSL_FLAG(int64_t, n, 0, "Vectors in the index; 0: $ZHONGCAO_BENCH_N, else 100000");
ABSL_FLAG(int, dim, 0, "Vector dimension; 0: $ZHONGCAO_BENCH_DIM, else 64");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the synthetic vectors");
ABSL_FLAG(int, latent_dim, zhongcao::bench::EmbeddingSpec().latent_dim,
          "Intrinsic dimension of the synthetic vectors");
ABSL_FLAG(int, clusters, zhongcao::bench::EmbeddingSpec().clusters,
          "Mixture components of the synthetic vectors");
ABSL_FLAG(double, cluster_spread, zhongcao::bench::EmbeddingSpec().cluster_spread,
          "Spread of a synthetic cluster relative to the spread of the centres");
ABSL_FLAG(double, noise, zhongcao::bench::EmbeddingSpec().noise,
          "Isotropic noise of the synthetic vectors");
ABSL_FLAG(int, queries, 1000, "Distinct query vectors");
ABSL_FLAG(std::string, index_types, "Flat;HNSW32,Flat;IVF1024,Flat",
          "FAISS factory strings to benchmark, separated by ';'");
ABSL_FLAG(int, ef_search, zhongcao::bench::MicroConfig().hnsw_ef_search,
          "HNSW efSearch (the service default)");
ABSL_FLAG(int, ef_construction, zhongcao::bench::MicroConfig().hnsw_ef_construction,
          "HNSW efConstruction (the service default)");
ABSL_FLAG(int, nprobe, zhongcao::bench::MicroConfig().ivf_nprobe,
          "IVF nprobe (the service default)");
ABSL_FLAG(int, build_threads, 0, "Index build threads; 0: all cores");
ABSL_FLAG(int, store_items, 0,
          "Items in the feature store of the ranking cases; 0: "
          "$ZHONGCAO_BENCH_STORE_ITEMS, else 20000");
ABSL_FLAG(int, candidates, 500, "Candidates per hydration, scoring and re-ranking");
ABSL_FLAG(std::string, cache_dir, "",
          "Where built indexes are kept between runs; empty: "
          "$ZHONGCAO_BENCH_CACHE_DIR, else " ZHONGCAO_BENCH_CACHE_DIR
          "; 'none': no cache");

namespace zhongcao::bench {
namespace {

MicroConfig config;

template <typename T>
T FlagOrEnv(T flag, const char* env, T fallback) {
  if (flag != 0) return flag;
  if (const char* value = std::getenv(env); value != nullptr) {
    T parsed;
    if (absl::SimpleAtoi(value, &parsed) && parsed > 0) return parsed;
    std::fprintf(stderr, "ignoring %s=%s: not a positive integer\n", env, value);
  }
  return fallback;
}

void PrintOwnFlags() {
  const MicroConfig defaults;
  std::printf(
      "zhongcao_micro_bench flags (besides Google Benchmark's, below):\n"
      "  --n=N  --dim=D  --seed=S  --latent_dim=L  --clusters=C  --queries=Q\n"
      "  --index_types='Flat;HNSW32,Flat;IVF1024,Flat'  --ef_search=%d\n"
      "  --ef_construction=%d  --nprobe=%d  --build_threads=0\n"
      "  --store_items=20000  --candidates=500  --cache_dir=DIR|none\n"
      "Environment: ZHONGCAO_BENCH_N, ZHONGCAO_BENCH_DIM, "
      "ZHONGCAO_BENCH_STORE_ITEMS, ZHONGCAO_BENCH_CACHE_DIR\n\n",
      defaults.hnsw_ef_search, defaults.hnsw_ef_construction, defaults.ivf_nprobe);
}

}  // namespace

const MicroConfig& Config() { return config; }

}  // namespace zhongcao::bench

int main(int argc, char** argv) {
  using namespace zhongcao::bench;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help") PrintOwnFlags();
  }
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);

  config.vectors.n =
      FlagOrEnv<int64_t>(absl::GetFlag(FLAGS_n), "ZHONGCAO_BENCH_N", 100000);
  config.vectors.dim = FlagOrEnv<int>(absl::GetFlag(FLAGS_dim), "ZHONGCAO_BENCH_DIM", 64);
  config.vectors.seed = absl::GetFlag(FLAGS_seed);
  config.vectors.latent_dim = absl::GetFlag(FLAGS_latent_dim);
  config.vectors.clusters = absl::GetFlag(FLAGS_clusters);
  config.vectors.cluster_spread = absl::GetFlag(FLAGS_cluster_spread);
  config.vectors.noise = absl::GetFlag(FLAGS_noise);
  config.queries = std::max(1, absl::GetFlag(FLAGS_queries));
  config.index_types =
      absl::StrSplit(absl::GetFlag(FLAGS_index_types), ';', absl::SkipWhitespace());
  config.hnsw_ef_search = absl::GetFlag(FLAGS_ef_search);
  config.hnsw_ef_construction = absl::GetFlag(FLAGS_ef_construction);
  config.ivf_nprobe = absl::GetFlag(FLAGS_nprobe);
  config.build_threads = absl::GetFlag(FLAGS_build_threads);
  config.store_items = FlagOrEnv<int>(absl::GetFlag(FLAGS_store_items),
                                      "ZHONGCAO_BENCH_STORE_ITEMS", 20000);
  config.candidates = std::max(1, absl::GetFlag(FLAGS_candidates));
  std::string cache = absl::GetFlag(FLAGS_cache_dir);
  if (cache.empty()) {
    const char* env = std::getenv("ZHONGCAO_BENCH_CACHE_DIR");
    cache = env != nullptr && *env != '\0' ? env : ZHONGCAO_BENCH_CACHE_DIR;
  }
  if (cache != "none") config.cache_dir = cache;

  const MachineInfo machine = ReadMachineInfo();
  benchmark::AddCustomContext("machine", Describe(machine));
  benchmark::AddCustomContext(
      "vectors", absl::StrCat(config.vectors.n, " x ", config.vectors.dim, ", latent ",
                              config.vectors.latent_dim, ", ", config.vectors.clusters,
                              " clusters, seed ", config.vectors.seed));
  benchmark::AddCustomContext(
      "hnsw", absl::StrCat("efConstruction ", config.hnsw_ef_construction, ", efSearch ",
                           config.hnsw_ef_search, "; ivf nprobe ", config.ivf_nprobe));
  benchmark::AddCustomContext("store_items", absl::StrCat(config.store_items));

  RegisterAnnCases();
  RegisterRankingCases();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  CleanUpRankingCases();
  const MachineInfo after = ReadMachineInfo();
  std::fprintf(stderr, "load average at the end: %.2f %.2f %.2f\n", after.load_average[0],
               after.load_average[1], after.load_average[2]);
  return 0;
}
