// zhongcao_ann_compare: recall and single-thread speed of the service's
// index against raw FAISS and hnswlib, on the same vectors and queries,
// over a sweep of efSearch.
//
//   zhongcao_ann_compare --n=100000 --queries=500
//   zhongcao_ann_compare --n=1000000 --json_out=bench/results/ann-1m.json
//   zhongcao_ann_compare --snapshot=/srv/zhongcao/index/<version>   # served vectors
//   zhongcao_ann_compare --vectors=items.npy --ids=items.ids
//
// Engines: faiss (raw IndexHNSWFlat from the same factory string and
// efConstruction as the service), zhongcao (index::VectorIndex::Search, the
// query's own item left out by SearchFilter::exclude_ids as GetRelated
// does), zhongcao-nofilter (the same index asked for k + 1 without a
// filter), hnswlib (M 16, efConstruction 200, built -O3 -march=native),
// flat (exact, one thread) and, with --related_target, getrelated (a
// running server's GetRelated over gRPC, one call at a time; give it the
// server's own snapshot so the ids match). Every search is one query on one
// thread.
//
// Queries are, by default, item vectors sampled from the set, and the item
// itself is not a valid answer ("more like this"); --held_out_queries uses
// fresh points of the generator's mixture instead, like user vectors.
// Ground truth is exact search (all cores, once); it and every built index
// are cached under --cache_dir, so a rerun only searches.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/ann/dataset.h"
#include "bench/ann/engine.h"
#include "bench/common/clustered_embeddings.h"
#include "bench/common/exact_knn.h"
#include "bench/common/machine_info.h"
#include "faiss/Index.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(int64_t, n, 100000, "Generated vectors");
ABSL_FLAG(int, dim, 64, "Generated dimension");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the generated vectors");
ABSL_FLAG(int, latent_dim, zhongcao::bench::EmbeddingSpec().latent_dim,
          "Intrinsic dimension of the generated vectors");
ABSL_FLAG(int, clusters, zhongcao::bench::EmbeddingSpec().clusters,
          "Mixture components of the generated vectors");
ABSL_FLAG(double, cluster_spread, zhongcao::bench::EmbeddingSpec().cluster_spread,
          "Spread of a generated cluster relative to the spread of the centres");
ABSL_FLAG(double, noise, zhongcao::bench::EmbeddingSpec().noise,
          "Isotropic noise of the generated vectors");
ABSL_FLAG(std::string, snapshot, "",
          "Instead of generating: a zhongcao index snapshot directory (MANIFEST, "
          "ids.bin, vectors.f32...), e.g. one a server serves");
ABSL_FLAG(std::string, vectors, "", "Instead of generating: an .npy or .fvecs matrix");
ABSL_FLAG(std::string, ids, "", "With --vectors: its ids file (default: row numbers)");
ABSL_FLAG(int, queries, 1000, "Query count");
ABSL_FLAG(uint64_t, query_seed, 7, "Seed of the query sample");
ABSL_FLAG(bool, held_out_queries, false,
          "Generated data only: query with fresh points of the mixture (not in the "
          "set, nothing excluded) instead of sampled items");
ABSL_FLAG(std::string, ef, "10,16,24,32,48,64,96,128,192,256,384,512",
          "efSearch values to sweep");
ABSL_FLAG(std::string, engines, "faiss,zhongcao,zhongcao-nofilter,hnswlib,flat",
          "Engines to run; getrelated is added when --related_target is set");
ABSL_FLAG(std::string, related_target, "",
          "host:port of a server whose GetRelated is measured as the engine "
          "'getrelated' (with --snapshot of its data directory's index)");
ABSL_FLAG(std::string, query_ids_out, "",
          "Write the query items' ids here, one a line (e.g. for "
          "zhongcao_loadgen --items_file)");
ABSL_FLAG(std::string, factory, "HNSW32,Flat", "FAISS factory of faiss and zhongcao");
ABSL_FLAG(int, ef_construction, 80, "efConstruction of faiss and zhongcao");
ABSL_FLAG(int, hnswlib_m, 16, "hnswlib M");
ABSL_FLAG(int, hnswlib_ef_construction, 200, "hnswlib ef_construction");
ABSL_FLAG(double, min_time, 0.3,
          "Seconds of searches per engine, ef and k (whole passes over the queries, "
          "at least one)");
ABSL_FLAG(int, flat_queries, 200, "Queries the (slow) exact engine is timed on");
ABSL_FLAG(int, build_threads, 0, "Build threads; 0: all cores");
ABSL_FLAG(std::string, cache_dir, ZHONGCAO_BENCH_CACHE_DIR,
          "Cache of built indexes and ground truth; 'none': no cache");
ABSL_FLAG(std::string, json_out, "", "Also write the results here as JSON");
ABSL_FLAG(std::string, label, "",
          "Free text kept in the JSON, e.g. the commit and what was uncommitted");

namespace zhongcao::bench {
namespace {

constexpr int kTruthK = 100;
constexpr int kKs[] = {10, 100};

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Queries {
  std::vector<float> vectors;  // nq x dim
  std::vector<int64_t> self;   // the row each query came from, or -1
  std::string key;
  int64_t size() const { return static_cast<int64_t>(self.size()); }
};

Queries SampleItemQueries(const Dataset& data, int nq, uint64_t seed) {
  Queries q;
  nq = static_cast<int>(std::min<int64_t>(nq, data.n));
  // Partial Fisher-Yates with a fixed LCG: the sample depends only on n,
  // nq and the seed.
  std::vector<int64_t> rows(data.n);
  for (int64_t i = 0; i < data.n; ++i) rows[i] = i;
  uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (int j = 0; j < nq; ++j) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t pick = j + static_cast<int64_t>((state >> 11) % (data.n - j));
    std::swap(rows[j], rows[pick]);
    q.self.push_back(rows[j]);
    q.vectors.insert(q.vectors.end(), data.row(rows[j]), data.row(rows[j]) + data.dim);
  }
  q.key = absl::StrCat("items-q", nq, "-qs", seed);
  return q;
}

Queries HeldOutQueries(const EmbeddingSpec& spec, int nq) {
  ClusteredEmbeddings generator(spec);
  Queries q;
  q.vectors.resize(static_cast<size_t>(nq) * spec.dim);
  for (int j = 0; j < nq; ++j) generator.Fresh(j, q.vectors.data() + j * spec.dim);
  q.self.assign(nq, -1);
  q.key = absl::StrCat("heldout-q", nq);
  return q;
}

// Ground truth named `name`, read from `cache_dir` when an earlier run left
// it there, else computed by `compute` (k = kTruthK) and left there.
Neighbours CachedTruth(const Dataset& data, const Queries& queries,
                       const std::filesystem::path& cache_dir, absl::string_view name,
                       const std::function<Neighbours()>& compute) {
  const std::filesystem::path cached =
      cache_dir.empty() ? std::filesystem::path()
                        : cache_dir / absl::StrCat("gt-", data.key, "-", queries.key,
                                                   name, "-k", kTruthK, ".bin");
  if (!cached.empty()) {
    std::ifstream in(cached, std::ios::binary);
    Neighbours truth;
    truth.k = kTruthK;
    truth.ids.resize(static_cast<size_t>(queries.size()) * kTruthK);
    if (in.read(reinterpret_cast<char*>(truth.ids.data()),
                static_cast<std::streamsize>(truth.ids.size() * sizeof(int64_t))) &&
        in.peek() == std::char_traits<char>::eof()) {
      std::fprintf(stderr, "ground truth%s: cached %s\n", std::string(name).c_str(),
                   cached.c_str());
      return truth;
    }
  }
  const double start = Now();
  Neighbours truth = compute();
  std::fprintf(stderr, "ground truth%s: %.1f s\n", std::string(name).c_str(),
               Now() - start);
  if (!cached.empty()) {
    const std::filesystem::path tmp = cached.string() + ".tmp";
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(truth.ids.data()),
              static_cast<std::streamsize>(truth.ids.size() * sizeof(int64_t)));
    out.close();
    if (out) std::filesystem::rename(tmp, cached);
  }
  return truth;
}

// Ground truth, computed once per data set and query set.
Neighbours Truth(const Dataset& data, const Queries& queries,
                 const std::filesystem::path& cache_dir, int threads) {
  return CachedTruth(data, queries, cache_dir, "", [&] {
    return ExactKnn(data.vectors.data(), data.n, data.dim, queries.vectors.data(),
                    queries.size(), kTruthK, queries.self, threads);
  });
}

// Exact top-kTruthK among the rows an available_only filter passes, the
// query's own row left out: what GetRelated, which filters so, may answer.
Neighbours AvailableTruth(const Dataset& data, const Queries& queries,
                          const std::filesystem::path& cache_dir, int threads) {
  return CachedTruth(data, queries, cache_dir, "-available", [&] {
    const int64_t nq = queries.size();
    std::vector<int64_t> subset;
    for (int64_t i = 0; i < data.n; ++i) {
      if (data.available[i] != 0) subset.push_back(i);
    }
    const Neighbours wide =
        ExactKnnSubset(data.vectors.data(), data.dim, subset, queries.vectors.data(), nq,
                       kTruthK + 1, threads);
    Neighbours truth;
    truth.k = kTruthK;
    truth.ids.resize(static_cast<size_t>(nq) * kTruthK);
    for (int64_t q = 0; q < nq; ++q) {
      int64_t* out = truth.ids.data() + q * kTruthK;
      int taken = 0;
      for (int j = 0; j < kTruthK + 1 && taken < kTruthK; ++j) {
        if (wide.row(q)[j] != queries.self[q]) out[taken++] = wide.row(q)[j];
      }
      for (; taken < kTruthK; ++taken) out[taken] = -1;
    }
    return truth;
  });
}

struct Measurement {
  double recall = 0;
  double qps = 0;      // searches per second of wall time spent searching
  double cpu_qps = 0;  // per second of this thread's CPU time: robust to load
  double p50_us = 0;
  double p99_us = 0;
  int64_t searches = 0;
};

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[at];
}

// One query at a time. The first pass is scored for recall; further passes
// run until `min_time` seconds of searching have been timed. Only Search is
// inside the wall clock; converting and scoring results is not. CPU time is
// read per pass (a per-query read costs a system call), from the passes
// after the first, which do nothing but search.
Measurement Measure(Engine& engine, const Queries& queries, int64_t nq,
                    const Neighbours& truth, int k, double min_time) {
  const size_t dim = queries.vectors.size() / queries.size();
  std::vector<int64_t> rows;
  for (int64_t q = 0; q < std::min<int64_t>(nq, 50); ++q) {  // warm caches
    engine.Search(queries.vectors.data() + q * dim, k, queries.self[q]);
    engine.Collect(&rows);
  }
  std::vector<double> latencies;
  double timed = 0;
  double recall = 0;
  double cpu = 0;
  int64_t cpu_searches = 0;
  double first_pass_cpu = 0;
  for (int pass = 0; pass == 0 || timed < min_time; ++pass) {
    const double cpu_start = ThreadCpuSeconds();
    for (int64_t q = 0; q < nq; ++q) {
      const auto t0 = std::chrono::steady_clock::now();
      engine.Search(queries.vectors.data() + q * dim, k, queries.self[q]);
      const auto t1 = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(t1 - t0).count();
      latencies.push_back(seconds);
      timed += seconds;
      if (pass == 0) {
        engine.Collect(&rows);
        recall += RecallAt(rows, truth.row(q), k);
      }
    }
    const double pass_cpu = ThreadCpuSeconds() - cpu_start;
    if (pass == 0) {
      first_pass_cpu = pass_cpu;
    } else {
      cpu += pass_cpu;
      cpu_searches += nq;
    }
  }
  if (cpu_searches == 0) {
    cpu = first_pass_cpu;
    cpu_searches = nq;
  }
  Measurement m;
  m.recall = recall / nq;
  m.searches = static_cast<int64_t>(latencies.size());
  m.qps = m.searches / timed;
  m.cpu_qps = cpu > 0 ? cpu_searches / cpu : 0;
  std::sort(latencies.begin(), latencies.end());
  m.p50_us = Percentile(latencies, 0.50) * 1e6;
  m.p99_us = Percentile(latencies, 0.99) * 1e6;
  return m;
}

struct Row {
  std::string engine;
  int ef = 0;  // 0: not applicable (flat)
  std::map<int, Measurement> by_k;
};

std::vector<int> ParseInts(const std::string& list) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    int value;
    if (absl::SimpleAtoi(part, &value) && value > 0) out.push_back(value);
  }
  return out;
}

std::unique_ptr<Engine> MakeEngine(const std::string& name) {
  if (name == "faiss") {
    return MakeFaissEngine(absl::GetFlag(FLAGS_factory),
                           absl::GetFlag(FLAGS_ef_construction));
  }
  if (name == "zhongcao" || name == "zhongcao-nofilter") {
    return MakeZhongcaoEngine(absl::GetFlag(FLAGS_factory),
                              absl::GetFlag(FLAGS_ef_construction), name == "zhongcao");
  }
  if (name == "hnswlib") {
    return MakeHnswlibEngine(absl::GetFlag(FLAGS_hnswlib_m),
                             absl::GetFlag(FLAGS_hnswlib_ef_construction));
  }
  if (name == "flat") return MakeFlatEngine();
  if (name == "getrelated" && !absl::GetFlag(FLAGS_related_target).empty()) {
    return MakeGrpcRelatedEngine(absl::GetFlag(FLAGS_related_target));
  }
  return nullptr;
}

void PrintTable(const std::vector<Row>& rows) {
  std::printf(
      "\n| engine | ef | recall@10 | QPS | CPU QPS | p50 us | p99 us | recall@100 | "
      "QPS k=100 | p99 us k=100 |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    const Measurement& a = r.by_k.at(10);
    const Measurement& b = r.by_k.at(100);
    std::printf("| %s | %s | %.4f | %.0f | %.0f | %.1f | %.1f | %.4f | %.0f | %.1f |\n",
                r.engine.c_str(), r.ef == 0 ? "-" : absl::StrCat(r.ef).c_str(), a.recall,
                a.qps, a.cpu_qps, a.p50_us, a.p99_us, b.recall, b.qps, b.p99_us);
  }
}

struct Best {
  double qps = 0;
  int ef = 0;
  double recall = 0;
};

// For each engine, its fastest point with recall@k >= threshold, by wall or
// by CPU QPS.
std::map<std::string, Best> BestAt(const std::vector<Row>& rows, int k, double threshold,
                                   bool cpu) {
  std::map<std::string, Best> best;
  for (const Row& r : rows) {
    const Measurement& m = r.by_k.at(k);
    if (m.recall < threshold) continue;
    const double qps = cpu ? m.cpu_qps : m.qps;
    if (qps <= 0) continue;  // not measured (a remote engine's CPU)
    Best& b = best[r.engine];
    if (qps > b.qps) b = {qps, r.ef, m.recall};
  }
  return best;
}

nlohmann::json MachineJson(const MachineInfo& m) {
  return {{"cores", m.cores},
          {"memory_bytes", m.memory_bytes},
          {"cpu_model", m.cpu_model},
          {"hostname", m.hostname},
          {"load_average", {m.load_average[0], m.load_average[1], m.load_average[2]}}};
}

int Run() {
  const MachineInfo machine_start = ReadMachineInfo();
  const std::string cache_flag = absl::GetFlag(FLAGS_cache_dir);
  const std::filesystem::path cache_dir =
      cache_flag == "none" ? std::filesystem::path() : std::filesystem::path(cache_flag);
  if (!cache_dir.empty()) std::filesystem::create_directories(cache_dir);
  const int threads = absl::GetFlag(FLAGS_build_threads);

  EmbeddingSpec spec;
  spec.n = absl::GetFlag(FLAGS_n);
  spec.dim = absl::GetFlag(FLAGS_dim);
  spec.seed = absl::GetFlag(FLAGS_seed);
  spec.latent_dim = absl::GetFlag(FLAGS_latent_dim);
  spec.clusters = absl::GetFlag(FLAGS_clusters);
  spec.cluster_spread = absl::GetFlag(FLAGS_cluster_spread);
  spec.noise = absl::GetFlag(FLAGS_noise);
  const bool generated =
      absl::GetFlag(FLAGS_snapshot).empty() && absl::GetFlag(FLAGS_vectors).empty();
  Dataset data;
  const double load_start = Now();
  if (!absl::GetFlag(FLAGS_snapshot).empty()) {
    absl::StatusOr<Dataset> read = SnapshotDataset(absl::GetFlag(FLAGS_snapshot));
    if (!read.ok()) {
      std::fprintf(stderr, "%s\n", read.status().ToString().c_str());
      return 1;
    }
    data = *std::move(read);
  } else if (!absl::GetFlag(FLAGS_vectors).empty()) {
    absl::StatusOr<Dataset> read =
        MatrixDataset(absl::GetFlag(FLAGS_vectors), absl::GetFlag(FLAGS_ids));
    if (!read.ok()) {
      std::fprintf(stderr, "%s\n", read.status().ToString().c_str());
      return 1;
    }
    data = *std::move(read);
  } else {
    data = GeneratedDataset(spec);
  }
  if (data.n < 2) {
    std::fprintf(stderr, "need at least 2 vectors, have %lld\n",
                 static_cast<long long>(data.n));
    return 1;
  }
  std::fprintf(stderr, "%s (%.1f s)\n", data.description.c_str(), Now() - load_start);

  const bool held_out = absl::GetFlag(FLAGS_held_out_queries);
  if (held_out && !generated) {
    std::fprintf(stderr, "--held_out_queries needs generated vectors\n");
    return 1;
  }
  const Queries queries = held_out ? HeldOutQueries(spec, absl::GetFlag(FLAGS_queries))
                                   : SampleItemQueries(data, absl::GetFlag(FLAGS_queries),
                                                       absl::GetFlag(FLAGS_query_seed));
  const Neighbours truth = Truth(data, queries, cache_dir, threads);
  if (const std::string path = absl::GetFlag(FLAGS_query_ids_out); !path.empty()) {
    std::ofstream out(path, std::ios::trunc);
    for (int64_t self : queries.self) {
      if (self >= 0) out << data.ids[self] << "\n";
    }
    out.close();
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }

  std::vector<std::string> engine_names =
      absl::StrSplit(absl::GetFlag(FLAGS_engines), ',', absl::SkipWhitespace());
  const bool related = !absl::GetFlag(FLAGS_related_target).empty();
  if (related && std::find(engine_names.begin(), engine_names.end(), "getrelated") ==
                     engine_names.end()) {
    engine_names.push_back("getrelated");
  }
  if (related && held_out) {
    std::fprintf(stderr, "getrelated takes item queries, not --held_out_queries\n");
    return 1;
  }
  // GetRelated filters with available_only; its answers are scored against
  // exact search over what that filter passes.
  const bool filtered_truth = related && !data.available.empty();
  const Neighbours related_truth =
      filtered_truth ? AvailableTruth(data, queries, cache_dir, threads) : Neighbours();
  int64_t unavailable = 0;
  for (uint8_t a : data.available) unavailable += a == 0 ? 1 : 0;

  std::vector<std::unique_ptr<Engine>> engines;
  nlohmann::json builds = nlohmann::json::object();
  for (const std::string& name : engine_names) {
    std::unique_ptr<Engine> engine = MakeEngine(name);
    if (engine == nullptr) {
      std::fprintf(stderr, "unknown engine %s%s\n", name.c_str(),
                   name == "getrelated" ? " (it needs --related_target)" : "");
      return 1;
    }
    const double start = Now();
    if (absl::Status s = engine->Prepare(data, cache_dir, threads); !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", engine->name().c_str(), s.ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "%s: %s in %.1f s\n", engine->name().c_str(),
                 engine->remote()      ? "connected"
                 : engine->built_now() ? "built"
                                       : "loaded from the cache",
                 Now() - start);
    builds[engine->name()] = {{"built_now", engine->built_now()},
                              {"build_seconds", engine->build_seconds()},
                              {"prepare_seconds", Now() - start}};
    engines.push_back(std::move(engine));
  }
  // Searches run on this thread with one OpenMP thread, as the service's do.
  omp_set_num_threads(1);

  const std::vector<int> efs = ParseInts(absl::GetFlag(FLAGS_ef));
  const double min_time = absl::GetFlag(FLAGS_min_time);
  const int64_t nq = queries.size();
  std::vector<Row> rows;
  // ef-major, engines interleaved, so that a change in the machine's load
  // during the run falls on every engine alike.
  for (auto& engine : engines) {
    if (engine->sweeps_ef()) continue;
    Row row{engine->name(), 0, {}};
    if (engine->name() == "flat") {
      // Exact search takes milliseconds a query: a subset of the queries, once.
      const int64_t count = std::min<int64_t>(nq, absl::GetFlag(FLAGS_flat_queries));
      for (int k : kKs) row.by_k[k] = Measure(*engine, queries, count, truth, k, 0);
    } else {
      const Neighbours& against = filtered_truth ? related_truth : truth;
      for (int k : kKs) {
        row.by_k[k] = Measure(*engine, queries, nq, against, k, min_time);
        if (engine->remote()) row.by_k[k].cpu_qps = 0;
      }
    }
    rows.push_back(std::move(row));
  }
  for (int ef : efs) {
    for (auto& engine : engines) {
      if (!engine->sweeps_ef()) continue;
      if (absl::Status s = engine->SetEf(ef); !s.ok()) {
        std::fprintf(stderr, "%s: %s\n", engine->name().c_str(), s.ToString().c_str());
        return 1;
      }
      Row row{engine->name(), ef, {}};
      for (int k : kKs) row.by_k[k] = Measure(*engine, queries, nq, truth, k, min_time);
      std::fprintf(stderr, "  %-18s ef %4d  recall@10 %.4f  %8.0f QPS\n",
                   row.engine.c_str(), ef, row.by_k[10].recall, row.by_k[10].qps);
      rows.push_back(std::move(row));
    }
  }
  const MachineInfo machine_end = ReadMachineInfo();

  std::printf("%s\n", data.description.c_str());
  std::printf("queries: %lld %s; one thread, one query at a time; machine: %s\n",
              static_cast<long long>(nq),
              held_out ? "held-out points of the mixture"
                       : "items sampled from the set, the item itself excluded",
              Describe(machine_start).c_str());
  std::printf("faiss/zhongcao: %s, efConstruction %d; hnswlib: M %d, efConstruction %d\n",
              absl::GetFlag(FLAGS_factory).c_str(), absl::GetFlag(FLAGS_ef_construction),
              absl::GetFlag(FLAGS_hnswlib_m),
              absl::GetFlag(FLAGS_hnswlib_ef_construction));
  PrintTable(rows);
  if (related) {
    std::printf(
        "\ngetrelated: GetRelated over gRPC to %s, one call at a time (its efSearch is "
        "the "
        "server's); scored against exact search over the %lld of %lld items that "
        "available_only passes; no CPU QPS, as the search runs in the server\n",
        absl::GetFlag(FLAGS_related_target).c_str(),
        static_cast<long long>(data.n - unavailable), static_cast<long long>(data.n));
  }

  // "QPS at equal recall": with item queries recall@10 is high from the
  // smallest ef on, so recall@100 (k=100) is where the engines differ.
  nlohmann::json equal = nlohmann::json::object();
  for (const auto& [k, threshold] : {std::pair{10, 0.95}, std::pair{10, 0.98},
                                     std::pair{100, 0.95}, std::pair{100, 0.98}}) {
    const std::map<std::string, Best> wall = BestAt(rows, k, threshold, false);
    const std::map<std::string, Best> cpu = BestAt(rows, k, threshold, true);
    std::printf("\nbest QPS at recall@%d >= %.2f (k=%d):\n\n", k, threshold, k);
    std::printf("| engine | QPS | ef | vs hnswlib | CPU QPS | ef | vs hnswlib |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    nlohmann::json at = nlohmann::json::object();
    for (const auto& engine : engines) {
      std::string line = absl::StrCat("| ", engine->name());
      nlohmann::json entry = nlohmann::json::object();
      for (const auto* best : {&wall, &cpu}) {
        const char* what = best == &wall ? "wall" : "cpu";
        auto it = best->find(engine->name());
        if (it == best->end()) {
          absl::StrAppend(&line, " | not reached | | ");
          entry[what] = nullptr;
          continue;
        }
        auto reference = best->find("hnswlib");
        const bool compared = reference != best->end();
        const double ratio = compared ? it->second.qps / reference->second.qps : 0;
        absl::StrAppend(
            &line, absl::StrFormat(" | %.0f | %s | %s", it->second.qps,
                                   it->second.ef == 0 ? "-" : absl::StrCat(it->second.ef),
                                   compared ? absl::StrFormat("%.2fx", ratio) : "-"));
        entry[what] = {
            {"qps", it->second.qps},
            {"ef", it->second.ef},
            {"recall", it->second.recall},
            {"vs_hnswlib", compared ? nlohmann::json(ratio) : nlohmann::json()}};
      }
      std::printf("%s |\n", line.c_str());
      at[engine->name()] = entry;
    }
    equal[absl::StrFormat("recall@%d>=%.2f", k, threshold)] = at;
  }
  std::printf("\nload average at the end: %.2f %.2f %.2f\n", machine_end.load_average[0],
              machine_end.load_average[1], machine_end.load_average[2]);

  if (const std::string out = absl::GetFlag(FLAGS_json_out); !out.empty()) {
    nlohmann::json j;
    j["tool"] = "zhongcao_ann_compare";
    j["time"] = absl::FormatTime(absl::Now(), absl::UTCTimeZone());
    j["label"] = absl::GetFlag(FLAGS_label);
    j["machine"] = MachineJson(machine_start);
    j["build"] = {{"compiler", __VERSION__},
                  {"faiss", absl::StrCat(FAISS_VERSION_MAJOR, ".", FAISS_VERSION_MINOR,
                                         ".", FAISS_VERSION_PATCH)}};
    j["load_average_end"] = {machine_end.load_average[0], machine_end.load_average[1],
                             machine_end.load_average[2]};
    j["data"] = {{"description", data.description},
                 {"n", data.n},
                 {"dim", data.dim},
                 {"key", data.key}};
    j["queries"] = {{"count", nq},
                    {"kind", held_out ? "held_out" : "items_excluding_self"},
                    {"seed", absl::GetFlag(FLAGS_query_seed)}};
    j["params"] = {
        {"factory", absl::GetFlag(FLAGS_factory)},
        {"ef_construction", absl::GetFlag(FLAGS_ef_construction)},
        {"hnswlib_m", absl::GetFlag(FLAGS_hnswlib_m)},
        {"hnswlib_ef_construction", absl::GetFlag(FLAGS_hnswlib_ef_construction)},
        {"min_time_s", min_time},
        {"flat_queries", absl::GetFlag(FLAGS_flat_queries)}};
    j["builds"] = builds;
    if (related) {
      j["getrelated"] = {{"target", absl::GetFlag(FLAGS_related_target)},
                         {"truth", filtered_truth ? "available_only" : "all"},
                         {"unavailable_items", unavailable}};
    }
    nlohmann::json results = nlohmann::json::array();
    for (const Row& r : rows) {
      nlohmann::json row = {
          {"engine", r.engine},
          {"ef", r.ef == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.ef)}};
      for (const auto& [k, m] : r.by_k) {
        row[absl::StrCat("k", k)] = {{"recall", m.recall},   {"qps", m.qps},
                                     {"cpu_qps", m.cpu_qps}, {"p50_us", m.p50_us},
                                     {"p99_us", m.p99_us},   {"searches", m.searches}};
      }
      results.push_back(row);
    }
    j["results"] = results;
    j["best_qps_at_equal_recall"] = equal;
    std::ofstream file(out);
    file << j.dump(2) << "\n";
    if (!file) {
      std::fprintf(stderr, "cannot write %s\n", out.c_str());
      return 1;
    }
    std::fprintf(stderr, "wrote %s\n", out.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace zhongcao::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Compares zhongcao's ANN search with raw FAISS and hnswlib on the same "
      "vectors; see the top of bench/ann/ann_compare_main.cc.");
  absl::ParseCommandLine(argc, argv);
  return zhongcao::bench::Run();
}
