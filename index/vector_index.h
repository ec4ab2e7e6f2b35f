// The item-embedding index: approximate nearest-neighbour search by inner
// product over string ids, with attribute filters applied inside the search.
//
// It holds a main segment (a FAISS index built from a factory string, never
// modified once built) and a growing segment of vectors added since, searched
// exactly. Upserts and deletes are visible to the next search; a removed id
// never comes back. Knows nothing of gRPC or RocksDB.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/build_progress.h"

namespace zhongcao::index {

// Searchable attributes of one vector. The index does not interpret `kind`
// beyond using it as a small integer filter key.
struct ItemAttributes {
  uint8_t kind = 0;                  // < kMaxKinds
  std::vector<std::string> regions;  // empty: shown everywhere
  bool available = true;             // false: out of stock or taken down
};

inline constexpr int kMaxKinds = 8;

// Ids looked up once in one index (VectorIndex::Resolve), for several
// searches of one request to leave out without each looking up every id.
class ResolvedIds;

// Restricts a search; every field defaults to "no restriction".
struct SearchFilter {
  uint32_t kind_mask = 0xFF;  // bit (1 << kind) set: kind allowed
  std::string region;         // empty: any region
  bool available_only = false;
  std::vector<std::string> exclude_ids;  // e.g. the item a search is about
  // Also left out, e.g. a user's seen items; resolved by the index searched.
  std::shared_ptr<const ResolvedIds> exclude_resolved;
};

struct Hit {
  std::string id;
  float score = 0;  // inner product with the query
};

struct IndexOptions {
  int dim = 64;
  // FAISS index_factory string for the main segment, e.g. "HNSW32,Flat",
  // "IVF1024,Flat", "Flat". The metric is always inner product.
  std::string factory = "HNSW32,Flat";
  int hnsw_ef_construction = 80;
  // Searches use max(hnsw_ef_search, k), so this only sets small-k searches
  // (GetRelated's). At 1M clustered 64-d items, 48 against 96: recall@10
  // 0.986 against 0.997 in process, GetRelated's 0.979 against 0.982, at
  // twice the searches per second.
  int hnsw_ef_search = 48;
  int ivf_nprobe = 32;
  // A search whose allowed set in the main segment is at most this large is
  // answered by an exact scan of that set, whatever it would cost to walk
  // the graph: such answers are exact, and never short of k.
  int exact_search_max_candidates = 20000;
  // Above that, an HNSW main segment is scanned exactly when the scan is
  // estimated to be cheaper than the walk, which with a filter that allows
  // a fraction f of the segment passes ~1/f nodes per allowed one (the model
  // and its measured constants are in exact_scan.cc): at 1M items and
  // ef 100, filters allowing up to ~3.7% are scanned. This multiplies the
  // walk's estimate: above 1 scans more, below 1 walks more, 0 walks
  // whenever the count rule above allows (tests use it to reach the graph).
  double exact_search_cost_weight = 1.0;
  int build_threads = 0;  // 0: all cores
};

struct IndexStats {
  int64_t live = 0;     // searchable vectors
  int64_t main = 0;     // live vectors in the main segment
  int64_t growing = 0;  // live vectors in the growing segment
  int64_t dead = 0;     // removed or replaced vectors still held until a rebuild
  std::string factory;
  int dim = 0;
  uint64_t watermark = 0;
  std::string version;  // snapshot version this state came from or was saved as
};

// What a snapshot's manifest says, read without loading or verifying it.
struct SnapshotInfo {
  std::string version;
  int dim = 0;
  std::string metric;
  std::string factory;
  int64_t live = 0;
  uint64_t watermark = 0;
  int64_t created_at_ms = 0;
  int64_t bytes = 0;  // all files
};

// One change to apply. A change with no vector removes the id.
struct IndexChange {
  std::string id;
  std::vector<float> vector;  // empty: remove
  ItemAttributes attributes;
};

class VectorIndex {
 public:
  // Creates an empty index. Fails if the factory string is not one FAISS can
  // build with inner product, or the dimension is not positive.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(const IndexOptions& options);

  // Loads the snapshot at `dir` (written by SaveSnapshot). Fails, leaving
  // nothing behind, when a file is missing or its checksum, the dimension or
  // the metric does not match.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> LoadSnapshot(
      const std::filesystem::path& dir, const IndexOptions& options);

  static absl::StatusOr<SnapshotInfo> ReadSnapshotInfo(const std::filesystem::path& dir);

  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Applies changes in order, all or none: fails without effect if a vector
  // has the wrong dimension or a non-finite value, or a kind is too large. `watermark` is
  // the caller's sequence number for the batch; snapshots record it.
  absl::Status Apply(std::span<const IndexChange> changes, uint64_t watermark);

  // The k best live vectors passing `filter`, best first. Returns fewer than
  // k only when fewer than k vectors pass the filter. Safe to call
  // concurrently with itself and with Apply.
  absl::StatusOr<std::vector<Hit>> Search(std::span<const float> query, int k,
                                          const SearchFilter& filter) const;

  // The stored vector of a live id, if any.
  std::optional<std::vector<float>> Vector(absl::string_view id) const;

  // The stored vectors of `ids`, in order, under one lock; empty for an id
  // not live here.
  std::vector<std::vector<float>> Vectors(std::span<const std::string> ids) const;

  // The same into one block: the vector of ids[i] goes to
  // out[i * dim, (i + 1) * dim), which must hold ids.size() * dim floats.
  // Returns, per id, whether it is live here; rows of others are left as
  // they were. For callers that want many vectors without one allocation
  // each.
  std::vector<bool> CopyVectors(std::span<const std::string> ids,
                                std::span<float> out) const;

  // The positions in `ids` of those that are not live here, in order.
  std::vector<size_t> Absent(std::span<const std::string> ids) const;

  // The live ones of `ids`, for SearchFilter::exclude_resolved of searches
  // of this index. An id upserted again after this call may be missed by
  // them (a re-upsert can move an item), so callers that must never see
  // an id filter the hits as well. BuildMain renumbers the items: searches
  // given ids resolved before it fail with FailedPrecondition.
  std::shared_ptr<const ResolvedIds> Resolve(
      std::span<const absl::string_view> ids) const;

  // Folds every live vector into a new main segment built with the factory
  // string, and empties the growing segment. Searches wait while it runs,
  // so it is for indexes not yet serving (offline builds, start-up).
  absl::Status BuildMain(const BuildProgress& progress = {});

  // A new index holding this one's live vectors, all in a freshly built main
  // segment, with this one's watermark. This one keeps serving meanwhile:
  // writers wait only while the vectors are copied, searches never.
  // `threads` OpenMP threads build it (0: all cores).
  absl::StatusOr<std::unique_ptr<VectorIndex>> Compacted(int threads) const;

  // Writes the whole state to `dir` (which must not exist) with a manifest
  // of checksums, atomically: a crash leaves either no `dir` or a complete
  // one. `version` names the snapshot.
  absl::Status SaveSnapshot(const std::filesystem::path& dir, const std::string& version);

  IndexStats Stats() const;
  int dim() const;

 private:
  struct State;
  explicit VectorIndex(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace zhongcao::index
