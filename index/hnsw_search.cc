#include "index/hnsw_search.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexHNSW.h"
#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

using Graph = HnswFlatSearch::Graph;

struct Node {
  float score;
  int32_t id;
};

// Max-heap by score: the best candidate on top.
bool WorseScore(const Node& a, const Node& b) { return a.score < b.score; }
// Min-heap by score: the worst result on top.
bool BetterScore(const Node& a, const Node& b) { return a.score > b.score; }

// Per-thread search state, reused so that a query allocates nothing and
// clears nothing: a node is visited when its tag equals this query's epoch.
struct Scratch {
  std::vector<uint16_t> visited;
  uint16_t epoch = 0;
  std::vector<Node> candidates;
  std::vector<Node> results;
  std::vector<int32_t> fresh;

  void StartQuery(int64_t nodes, size_t width) {
    if (visited.size() < static_cast<size_t>(nodes)) visited.resize(nodes, 0);
    if (++epoch == 0) {
      std::fill(visited.begin(), visited.end(), 0);
      epoch = 1;
    }
    if (fresh.size() < width) fresh.resize(width);
    candidates.clear();
    results.clear();
  }
};

thread_local Scratch scratch;

std::atomic<bool> force_portable{false};

struct PortableIp {
  static float Of(const float* a, const float* b, size_t d) {
    return InnerProductPortable(a, b, d);
  }
};

struct Avx2Ip {
  static float Of(const float* a, const float* b, size_t d) {
    return InnerProductAvx2(a, b, d);
  }
};

// The rows do not fit in cache at a million vectors; asking for a
// neighbourhood's rows before scoring any of them overlaps their misses.
inline void PrefetchRow(const float* row, size_t bytes) {
  const char* p = reinterpret_cast<const char*>(row);
  const char* end = p + bytes;
  for (; p < end; p += 64) __builtin_prefetch(p);
  __builtin_prefetch(end - 1);
}

// Greedy descent through the upper levels, as FAISS and hnswlib do: move to
// the best neighbour until none is better.
template <class Ip>
inline Node Descend(const Graph& g, const float* query) {
  Node at{Ip::Of(query, g.vectors + g.entry * g.dim, g.dim), g.entry};
  for (int level = g.max_level; level >= 1; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      const int32_t* begin = g.neighbors + g.offsets[at.id] + g.level_begin[level];
      const int32_t* end = g.neighbors + g.offsets[at.id] + g.level_begin[level + 1];
      for (const int32_t* it = begin; it < end && *it >= 0; ++it) {
        const float score = Ip::Of(query, g.vectors + *it * g.dim, g.dim);
        if (score > at.score) {
          at = {score, *it};
          moved = true;
        }
      }
    }
  }
  return at;
}

// Which nodes a search may return: those in `allowed` (null: all) but not
// in `excluded` (null: none).
struct Returnable {
  const Roaring* allowed;
  const Roaring* excluded;
  bool operator()(int32_t id) const {
    return (allowed == nullptr || allowed->contains(id)) &&
           (excluded == nullptr || !excluded->contains(id));
  }
};

// Level-0 beam search (hnswlib's rule): expand the best unexpanded candidate
// until the beam holds ef returnable nodes all better than it. Leaves the
// beam in s.results.
template <class Ip>
inline void SearchLevel0(const Graph& g, const float* query, size_t ef,
                         const Returnable& returnable, Node entry, Scratch& s) {
  uint16_t* visited = s.visited.data();
  const uint16_t epoch = s.epoch;
  const size_t width = g.level_begin[1];
  const size_t row_bytes = g.dim * sizeof(float);
  const size_t list_bytes = width * sizeof(int32_t);
  std::vector<Node>& candidates = s.candidates;
  std::vector<Node>& results = s.results;
  int32_t* fresh = s.fresh.data();

  visited[entry.id] = epoch;
  candidates.push_back(entry);
  if (returnable(entry.id)) results.push_back(entry);
  while (!candidates.empty()) {
    const Node best = candidates.front();
    if (results.size() == ef && best.score < results.front().score) break;
    std::pop_heap(candidates.begin(), candidates.end(), WorseScore);
    candidates.pop_back();
    if (!candidates.empty()) {
      // Start loading the list most likely expanded next while this one is
      // scored; its offset was prefetched when it became a candidate.
      const int32_t* next = g.neighbors + g.offsets[candidates.front().id];
      for (size_t b = 0; b < list_bytes; b += 64) {
        __builtin_prefetch(reinterpret_cast<const char*>(next) + b);
      }
    }

    const int32_t* links = g.neighbors + g.offsets[best.id];
    int count = 0;
    while (count < static_cast<int>(width) && links[count] >= 0) {
      __builtin_prefetch(visited + links[count]);
      ++count;
    }
    int n_fresh = 0;
    for (int j = 0; j < count; ++j) {
      const int32_t v = links[j];
      if (visited[v] == epoch) continue;
      visited[v] = epoch;
      fresh[n_fresh++] = v;
      PrefetchRow(g.vectors + v * g.dim, row_bytes);
    }
    for (int j = 0; j < n_fresh; ++j) {
      const int32_t v = fresh[j];
      const float score = Ip::Of(query, g.vectors + v * g.dim, g.dim);
      if (results.size() < ef || score > results.front().score) {
        candidates.push_back({score, v});
        std::push_heap(candidates.begin(), candidates.end(), WorseScore);
        __builtin_prefetch(g.offsets + v);
        if (returnable(v)) {
          results.push_back({score, v});
          std::push_heap(results.begin(), results.end(), BetterScore);
          if (results.size() > ef) {
            std::pop_heap(results.begin(), results.end(), BetterScore);
            results.pop_back();
          }
        }
      }
    }
  }
}

template <class Ip>
inline void SearchWith(const Graph& g, const float* query, size_t ef,
                       const Returnable& returnable, Scratch& s) {
  SearchLevel0<Ip>(g, query, ef, returnable, Descend<Ip>(g, query), s);
}

// Compiled for AVX2 as one piece, so the kernel inlines into the loops.
__attribute__((target("avx2,fma"), flatten)) void SearchAvx2(const Graph& g,
                                                             const float* query,
                                                             size_t ef,
                                                             const Returnable& returnable,
                                                             Scratch& s) {
  SearchWith<Avx2Ip>(g, query, ef, returnable, s);
}

void SearchPortable(const Graph& g, const float* query, size_t ef,
                    const Returnable& returnable, Scratch& s) {
  SearchWith<PortableIp>(g, query, ef, returnable, s);
}

absl::Status CheckGraph(const faiss::HNSW& hnsw, int64_t n) {
  const auto fail = [](auto... what) {
    return absl::DataLossError(absl::StrCat("HNSW graph is inconsistent: ", what...));
  };
  const std::vector<int>& cum = hnsw.cum_nneighbor_per_level;
  if (static_cast<int64_t>(hnsw.levels.size()) != n ||
      static_cast<int64_t>(hnsw.offsets.size()) != n + 1 || cum.size() < 2) {
    return fail("levels, offsets or neighbours per level do not match ", n, " nodes");
  }
  const int64_t max_levels = static_cast<int64_t>(cum.size()) - 1;
  // The search takes level 0's list to start where the node's lists start.
  if (cum[0] != 0 || !std::is_sorted(cum.begin(), cum.end())) {
    return fail("neighbours per level are not cumulative from 0");
  }
  if (hnsw.offsets[0] != 0) return fail("offsets do not start at 0");
  for (int64_t i = 0; i < n; ++i) {
    const int levels = hnsw.levels[i];
    if (levels < 1 || levels > max_levels ||
        hnsw.offsets[i + 1] - hnsw.offsets[i] != static_cast<size_t>(cum[levels])) {
      return fail("node ", i, " has ", levels, " levels and a list of ",
                  hnsw.offsets[i + 1] - hnsw.offsets[i]);
    }
  }
  if (hnsw.offsets[n] > hnsw.neighbors.size()) return fail("offsets pass the lists");
  for (int64_t i = 0; i < n; ++i) {
    for (int level = 0; level < hnsw.levels[i]; ++level) {
      size_t begin, end;
      hnsw.neighbor_range(i, level, &begin, &end);
      for (size_t j = begin; j < end; ++j) {
        const int32_t v = hnsw.neighbors[j];
        if (v < 0) break;
        // A neighbour on level l must itself have level l, or the next
        // step reads someone else's list.
        if (v >= n || hnsw.levels[v] <= level) {
          return fail("node ", i, " links to ", v, " on level ", level);
        }
      }
    }
  }
  if (n > 0 && (hnsw.entry_point < 0 || hnsw.entry_point >= n ||
                hnsw.max_level != hnsw.levels[hnsw.entry_point] - 1)) {
    return fail("entry point ", hnsw.entry_point, " at level ", hnsw.max_level);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HnswFlatSearch>> HnswFlatSearch::For(
    const faiss::Index& index) {
  const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index);
  if (hnsw == nullptr || hnsw->reconstruct_from_neighbors != nullptr) return nullptr;
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(hnsw->storage);
  if (flat == nullptr || flat->metric_type != faiss::METRIC_INNER_PRODUCT ||
      flat->code_size != flat->d * sizeof(float) || flat->ntotal != index.ntotal ||
      flat->codes.size() != flat->ntotal * flat->code_size) {
    return nullptr;
  }
  if (absl::Status s = CheckGraph(hnsw->hnsw, index.ntotal); !s.ok()) return s;
  Graph g;
  g.vectors = flat->get_xb();
  g.dim = flat->d;
  g.size = index.ntotal;
  g.neighbors = hnsw->hnsw.neighbors.data();
  g.offsets = hnsw->hnsw.offsets.data();
  g.level_begin = hnsw->hnsw.cum_nneighbor_per_level;
  g.entry = hnsw->hnsw.entry_point;
  g.max_level = hnsw->hnsw.max_level;
  return std::unique_ptr<HnswFlatSearch>(new HnswFlatSearch(std::move(g)));
}

void HnswFlatSearch::UsePortableKernelForTesting(bool portable) {
  force_portable.store(portable, std::memory_order_relaxed);
}

std::vector<std::pair<int64_t, float>> HnswFlatSearch::Search(
    const float* query, int k, int ef, const Roaring& allowed,
    const Roaring* excluded) const {
  std::vector<std::pair<int64_t, float>> hits;
  const Graph& g = graph_;
  if (k <= 0 || g.size == 0) return hits;
  // Checking membership costs a lookup per promising node; an allow-list
  // that holds every node needs none.
  const bool all_allowed = allowed.rank(g.size - 1) == static_cast<uint64_t>(g.size);
  const Returnable returnable{
      all_allowed ? nullptr : &allowed,
      excluded != nullptr && !excluded->isEmpty() ? excluded : nullptr};
  const size_t beam = std::max(ef, k);
  Scratch& s = scratch;
  s.StartQuery(g.size, g.level_begin[1]);
  if (HaveAvx2Fma() && !force_portable.load(std::memory_order_relaxed)) {
    SearchAvx2(g, query, beam, returnable, s);
  } else {
    SearchPortable(g, query, beam, returnable, s);
  }
  std::vector<Node>& results = s.results;
  const size_t n = std::min<size_t>(k, results.size());
  std::partial_sort(results.begin(), results.begin() + n, results.end(),
                    [](const Node& a, const Node& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.id < b.id;
                    });
  hits.reserve(n);
  for (size_t i = 0; i < n; ++i) hits.emplace_back(results[i].id, results[i].score);
  return hits;
}

}  // namespace zhongcao::index
