// zhongcao_server: serves one data directory over gRPC until SIGINT or
// SIGTERM, then stops accepting calls, finishes those in flight and saves an
// index snapshot so the next start loads instead of replaying.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "index/vector_index.h"
#include "service/config.h"
#include "service/node.h"
#include "service/server.h"

ABSL_FLAG(std::string, data_dir, "./data", "Data directory (feature store and index)");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve gRPC on");
ABSL_FLAG(int, dim, 64, "Embedding dimension; fixed per data directory");
ABSL_FLAG(std::string, index_factory, "HNSW32,Flat",
          "FAISS index_factory string for the main index segment (inner product)");
// The index's own defaults (index/vector_index.h), where their reasons are.
ABSL_FLAG(int, hnsw_ef_search, zhongcao::index::IndexOptions().hnsw_ef_search,
          "HNSW search breadth; searches use max(this, k)");
ABSL_FLAG(int, hnsw_ef_construction, zhongcao::index::IndexOptions().hnsw_ef_construction,
          "HNSW build breadth");
ABSL_FLAG(int, ivf_nprobe, zhongcao::index::IndexOptions().ivf_nprobe,
          "IVF lists probed per search");
ABSL_FLAG(int, history_limit, 1000, "Events kept per user");
ABSL_FLAG(int64_t, item_cache_mb,
          static_cast<int64_t>(zhongcao::store::StoreOptions().item_cache_bytes >> 20),
          "Memory for parsed items with their counters, read without RocksDB; "
          "0 turns the cache off");
ABSL_FLAG(int64_t, block_cache_mb,
          static_cast<int64_t>(zhongcao::store::StoreOptions().block_cache_bytes >> 20),
          "Memory for RocksDB's uncompressed blocks");
ABSL_FLAG(bool, warm_item_cache, true,
          "Read the stored items into the item cache in the background at start, "
          "until it is full");
ABSL_FLAG(int, covisit_window, 5,
          "Co-occurrence: previous items of the user each event is paired with; 0: off");
ABSL_FLAG(double, covisit_backward, 0.25,
          "Co-occurrence: weight of item -> earlier item, relative to earlier -> later");
ABSL_FLAG(double, covisit_tau_days, 30,
          "Co-occurrence decays with this time constant (half after ~0.69 of it)");
ABSL_FLAG(int, covisit_row_limit, 200, "Co-occurrence: neighbours kept per item");
ABSL_FLAG(double, trending_tau_hours, 6,
          "Trending decays with this time constant (half after ~0.69 of it); "
          "changing it discards the stored trends");
ABSL_FLAG(std::string, config, "",
          "TOML file of feed settings, campaigns and experiments (see "
          "deploy/zhongcao.toml); empty: built-in defaults");
ABSL_FLAG(int, max_concurrent_reads,
          8 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Read calls (GetFeed, RankProducts, GetRelated, FindLookalikes) queued or "
          "running at once; more are refused with RESOURCE_EXHAUSTED rather than queued "
          "until every one misses its deadline (0: no limit). Default: 8 per core");
ABSL_FLAG(int, read_threads,
          2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Threads that run read calls (a feed waits on its sources part of the time). "
          "Default: 2 per core");
ABSL_FLAG(int, source_threads, 4,
          "Threads that run candidate sources concurrently; 0: each request runs its own "
          "sources one after another, and leaves out those not started by the deadline");
ABSL_FLAG(int64_t, compact_growing_at, 20000,
          "Fold the growing index segment into a new main index, in the background, "
          "once it holds this many vectors; 0: never in the background");
ABSL_FLAG(double, compact_dead_fraction, 0.25,
          "Rebuild the main index once this share of its vectors is removed");
ABSL_FLAG(int, compaction_threads, 1,
          "Threads a background index build uses; the others keep serving");
ABSL_FLAG(bool, exposure_log, true,
          "Log every GetFeed and RankProducts response (request id, user, arms, items, "
          "positions, features) and every event naming a request id, for "
          "AdminService.ReadExposures/ReadOutcomes");
ABSL_FLAG(int64_t, exposure_retention_hours, 7 * 24,
          "Exposure and outcome log rows older than this are pruned in the background");
ABSL_FLAG(int64_t, exposure_max_rows, 1000000,
          "Beyond this many rows per log the oldest are pruned too; 0: no cap");
ABSL_FLAG(std::string, ranker_model, "",
          "Learned ranking model (from zhongcao_rank_train) to score feeds with; "
          "overrides [ranker] model in --config. Empty: the config's, else none (the "
          "weighted sum). AdminService.LoadRankerModel swaps it at runtime");
ABSL_FLAG(bool, build_index_on_start, true,
          "Fold vectors added since the last build into the main segment at start");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves zhongcao.v1 over gRPC from one data directory. "
      "Settings may also come from a file: --flagfile=zhongcao.flags");
  // Block the stop signals before any thread starts, so that only sigwait
  // below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  absl::ParseCommandLine(argc, argv);
  // Lock-order checks cost a lookup in a global graph on every mutex
  // created and destroyed, and each request makes some.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  zhongcao::service::NodeOptions node_options;
  node_options.data_dir = absl::GetFlag(FLAGS_data_dir);
  node_options.index.dim = absl::GetFlag(FLAGS_dim);
  node_options.index.factory = absl::GetFlag(FLAGS_index_factory);
  node_options.index.hnsw_ef_search = absl::GetFlag(FLAGS_hnsw_ef_search);
  node_options.index.hnsw_ef_construction = absl::GetFlag(FLAGS_hnsw_ef_construction);
  node_options.index.ivf_nprobe = absl::GetFlag(FLAGS_ivf_nprobe);
  node_options.history_limit = absl::GetFlag(FLAGS_history_limit);
  const int64_t item_cache_mb = absl::GetFlag(FLAGS_item_cache_mb);
  const int64_t block_cache_mb = absl::GetFlag(FLAGS_block_cache_mb);
  if (item_cache_mb < 0 || block_cache_mb < 0) {
    std::fprintf(stderr,
                 "zhongcao: --item_cache_mb and --block_cache_mb must not be negative\n");
    return 1;
  }
  node_options.item_cache_bytes = static_cast<size_t>(item_cache_mb) << 20;
  node_options.block_cache_bytes = static_cast<size_t>(block_cache_mb) << 20;
  node_options.warm_item_cache = absl::GetFlag(FLAGS_warm_item_cache);
  node_options.covisit_window = absl::GetFlag(FLAGS_covisit_window);
  node_options.covisit_backward = absl::GetFlag(FLAGS_covisit_backward);
  node_options.covisit_tau_days = absl::GetFlag(FLAGS_covisit_tau_days);
  node_options.covisit_row_limit = absl::GetFlag(FLAGS_covisit_row_limit);
  node_options.trending_tau_hours = absl::GetFlag(FLAGS_trending_tau_hours);
  node_options.compact_growing_at = absl::GetFlag(FLAGS_compact_growing_at);
  node_options.compact_dead_fraction = absl::GetFlag(FLAGS_compact_dead_fraction);
  node_options.compaction_threads = absl::GetFlag(FLAGS_compaction_threads);
  node_options.exposure_log = absl::GetFlag(FLAGS_exposure_log);
  const int64_t retention_hours = absl::GetFlag(FLAGS_exposure_retention_hours);
  const int64_t max_rows = absl::GetFlag(FLAGS_exposure_max_rows);
  if (retention_hours <= 0 || max_rows < 0) {
    std::fprintf(stderr,
                 "zhongcao: --exposure_retention_hours must be positive and "
                 "--exposure_max_rows not negative\n");
    return 1;
  }
  node_options.exposures.retention_ms = retention_hours * 3600 * 1000;
  node_options.exposures.max_rows = max_rows;
  auto node = zhongcao::service::Node::Open(node_options);
  if (!node.ok()) {
    std::fprintf(stderr, "zhongcao: %s\n", node.status().ToString().c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_build_index_on_start) &&
      (*node)->index()->Stats().growing > 0) {
    if (auto s = (*node)->BuildIndex(); !s.ok()) {
      std::fprintf(stderr, "zhongcao: %s\n", s.ToString().c_str());
      return 1;
    }
  }

  zhongcao::service::ServerOptions server_options;
  server_options.address = absl::GetFlag(FLAGS_listen);
  if (const std::string config = absl::GetFlag(FLAGS_config); !config.empty()) {
    auto ranking = zhongcao::service::LoadConfig(config);
    if (!ranking.ok()) {
      std::fprintf(stderr, "zhongcao: %s\n", ranking.status().ToString().c_str());
      return 1;
    }
    server_options.ranking = *std::move(ranking);
  }
  server_options.ranking.source_threads = absl::GetFlag(FLAGS_source_threads);
  server_options.max_concurrent_reads = absl::GetFlag(FLAGS_max_concurrent_reads);
  server_options.read_threads = absl::GetFlag(FLAGS_read_threads);
  if (const std::string model = absl::GetFlag(FLAGS_ranker_model); !model.empty()) {
    server_options.ranking.ranker_model = model;
  }
  auto server = zhongcao::service::ZhongcaoServer::Start(**node, server_options);
  if (!server.ok()) {
    std::fprintf(stderr, "zhongcao: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const auto stats = (*node)->index()->Stats();
  const auto counts = (*node)->store().counts();
  std::fprintf(stderr,
               "zhongcao: serving %s on port %d (%lld items, %lld users, %lld vectors, "
               "index %s)\n",
               node_options.data_dir.c_str(), (*server)->port(),
               static_cast<long long>(counts.items()),
               static_cast<long long>(counts.users()), static_cast<long long>(stats.live),
               stats.factory.c_str());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "zhongcao: signal %d, shutting down\n", signal_number);
  (*server)->Shutdown();
  if (auto s = (*node)->SaveSnapshot(); !s.ok()) {
    std::fprintf(stderr, "zhongcao: snapshot on shutdown failed: %s\n",
                 s.ToString().c_str());
    return 1;
  }
  return 0;
}
