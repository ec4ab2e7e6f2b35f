#include "index/vector_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/text_format.h"
#include "index/attribute_bitmaps.h"
#include "index/durable_file.h"
#include "index/exact_scan.h"
#include "index/faiss_segment.h"
#include "index/row_blocks.h"
#include "index/snapshot.pb.h"

namespace zhongcao::index {
namespace {

constexpr uint32_t kSnapshotFormat = 1;
constexpr char kManifestFile[] = "MANIFEST";
constexpr char kMainFile[] = "main.faiss";
constexpr char kVectorsFile[] = "vectors.f32";
constexpr char kIdsFile[] = "ids.bin";
constexpr char kAttributesFile[] = "attributes.bin";
constexpr char kMetric[] = "inner_product";

absl::Status CheckVector(std::span<const float> v, int dim, absl::string_view what) {
  if (static_cast<int>(v.size()) != dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has dimension ", v.size(), ", expected ", dim));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "[", i, "] is not a finite number"));
    }
  }
  return absl::OkStatus();
}

FaissSearchParams SearchParamsOf(const IndexOptions& options) {
  return {.hnsw_ef_search = options.hnsw_ef_search, .ivf_nprobe = options.ivf_nprobe};
}

// External ids by internal id, packed into one buffer: a std::string per
// id took 32 bytes for ids of a few characters (37 MiB at 1M items; now
// 15). A view stays valid until the next push_back. Each id's hash is kept
// too (8 MiB at 1M), so that growing the set of live ids rehashes from an
// array: hashing the strings again held item writes for ~0.5 s when the
// set grew past 1.8M ids.
class IdTable {
 public:
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  absl::string_view operator[](uint32_t internal) const {
    const uint64_t begin = internal == 0 ? 0 : ends_[internal - 1];
    return absl::string_view(bytes_.data() + begin, ends_[internal] - begin);
  }
  size_t hash(uint32_t internal) const { return hashes_[internal]; }
  // For a batch: where id `internal` lies, then its bytes once that is read.
  void PrefetchEnds(uint32_t internal) const {
    __builtin_prefetch(&ends_[internal]);
    if (internal > 0) __builtin_prefetch(&ends_[internal - 1]);
  }
  void PrefetchBytes(uint32_t internal) const {
    __builtin_prefetch(bytes_.data() + (internal == 0 ? 0 : ends_[internal - 1]));
  }
  static size_t HashOf(absl::string_view id) { return absl::HashOf(id); }
  void push_back(absl::string_view id) {
    bytes_.append(id.data(), id.size());
    ends_.push_back(bytes_.size());
    hashes_.push_back(HashOf(id));
  }
  void reserve(size_t ids, size_t bytes) {
    ends_.reserve(ids);
    hashes_.reserve(ids);
    bytes_.reserve(bytes);
  }
  size_t bytes() const { return bytes_.size(); }

 private:
  std::string bytes_;
  std::vector<uint64_t> ends_;  // id i is bytes_[ends_[i - 1], ends_[i])
  std::vector<size_t> hashes_;  // of id i
};

std::string SerializeIds(const IdTable& ids) {
  std::string out;
  for (uint32_t internal = 0; internal < ids.size(); ++internal) {
    const absl::string_view id = ids[internal];
    const uint32_t size = id.size();
    out.append(reinterpret_cast<const char*>(&size), sizeof(size));
    out.append(id.data(), id.size());
  }
  return out;
}

bool ParseIds(const std::string& bytes, IdTable* ids) {
  // Twice: once to check the framing and size the table exactly, so that a
  // million ids leave no growth slack behind.
  for (bool fill : {false, true}) {
    size_t at = 0;
    size_t count = 0;
    while (at < bytes.size()) {
      uint32_t size;
      if (bytes.size() - at < sizeof(size)) return false;
      std::memcpy(&size, bytes.data() + at, sizeof(size));
      at += sizeof(size);
      if (bytes.size() - at < size) return false;
      if (fill) ids->push_back(absl::string_view(bytes.data() + at, size));
      at += size;
      ++count;
    }
    if (!fill) ids->reserve(count, bytes.size() - count * sizeof(uint32_t));
  }
  return true;
}

// A live internal id, with 32 bits of its external id's hash beside it: a
// lookup then rejects other ids in the probed group without reading their
// strings, and a batch can find its ids by hash alone and confirm them in a
// later pass (FindLive), overlapping the misses of reading the strings.
struct LiveId {
  uint32_t internal;
  uint32_t fingerprint;
};
// Bits the table's probing does not use (it takes the low ones).
inline uint32_t FingerprintOf(size_t hash) { return static_cast<uint32_t>(hash >> 32); }

// Looks up a live id by its hash alone; FindLive confirms what it finds.
struct ByFingerprint {
  size_t hash;
};
// Looks up a live id by external id whose hash is already known.
struct ByIdAndHash {
  absl::string_view id;
  size_t hash;
};

// Hashes and compares live ids by their external ids, and looks them up by
// external id: the set then holds 8 bytes a slot instead of a string and
// the id (94 MiB -> 16 MiB at 1M items).
struct ExternalIdHash {
  using is_transparent = void;
  const IdTable* ids;
  size_t operator()(const LiveId& live) const { return ids->hash(live.internal); }
  size_t operator()(absl::string_view id) const { return IdTable::HashOf(id); }
  size_t operator()(const ByFingerprint& probe) const { return probe.hash; }
  size_t operator()(const ByIdAndHash& probe) const { return probe.hash; }
};
struct ExternalIdEq {
  using is_transparent = void;
  const IdTable* ids;
  bool operator()(const LiveId& a, const LiveId& b) const {
    return a.fingerprint == b.fingerprint && (*ids)[a.internal] == (*ids)[b.internal];
  }
  bool operator()(absl::string_view id, const LiveId& live) const {
    return (*ids)[live.internal] == id;
  }
  bool operator()(const ByFingerprint& probe, const LiveId& live) const {
    return FingerprintOf(probe.hash) == live.fingerprint;
  }
  bool operator()(const ByIdAndHash& probe, const LiveId& live) const {
    return FingerprintOf(probe.hash) == live.fingerprint &&
           (*ids)[live.internal] == probe.id;
  }
  // absl compares in either order.
  template <class Probe>
  bool operator()(const LiveId& live, const Probe& probe) const {
    return (*this)(probe, live);
  }
};
using LiveIdSet = absl::flat_hash_set<LiveId, ExternalIdHash, ExternalIdEq>;

absl::StatusOr<SnapshotManifest> ReadManifest(const std::filesystem::path& dir) {
  absl::StatusOr<std::string> text = ReadWholeFile(dir / kManifestFile);
  if (!text.ok()) return text.status();
  SnapshotManifest manifest;
  if (!google::protobuf::TextFormat::ParseFromString(*text, &manifest)) {
    return absl::DataLossError(
        absl::StrCat("snapshot ", dir.string(), ": MANIFEST does not parse"));
  }
  return manifest;
}

}  // namespace

class ResolvedIds {
 public:
  const VectorIndex* index = nullptr;  // the index whose internal ids these are
  uint64_t numbering = 0;              // its State::numbering then
  Roaring ids;
};

struct VectorIndex::State {
  explicit State(const IndexOptions& index_options)
      : options(index_options), growing(index_options.dim) {}

  const IndexOptions options;
  mutable absl::Mutex mu;
  // Ids [0, main_size) live in `main`; ids from main_size on form the
  // growing segment, searched exactly from `growing`.
  std::unique_ptr<FaissSegment> main ABSL_GUARDED_BY(mu);
  uint32_t main_size ABSL_GUARDED_BY(mu) = 0;
  // Main-segment rows: the segment's own float rows where it has them, so
  // that each vector is held once (256 MB at 1M x 64); else `main_copy`.
  const float* main_rows ABSL_GUARDED_BY(mu) = nullptr;
  std::vector<float> main_copy ABSL_GUARDED_BY(mu);
  RowBlocks growing ABSL_GUARDED_BY(mu);  // row of id main_size + i at Row(i)
  IdTable ids ABSL_GUARDED_BY(mu);        // internal -> external
  // The live internal ids, found by external id. Its functors point at
  // `ids`, which is why it is rebuilt, never moved in, when `ids` is replaced.
  LiveIdSet live_ids ABSL_GUARDED_BY(mu){0, ExternalIdHash{&ids}, ExternalIdEq{&ids}};
  // Advanced whenever internal ids are renumbered (BuildMain), so that ids
  // resolved before cannot leave the wrong items out.
  uint64_t numbering ABSL_GUARDED_BY(mu) = 0;
  AttributeBitmaps attributes ABSL_GUARDED_BY(mu);
  uint64_t watermark ABSL_GUARDED_BY(mu) = 0;
  std::string version ABSL_GUARDED_BY(mu);

  const float* Row(uint32_t id) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    const size_t dim = options.dim;
    return id < main_size ? main_rows + id * dim : growing.Row(id - main_size);
  }

  // Makes `segment` over ids [0, size) the main segment and `rows` (those
  // ids' vectors) its rows, unless the segment holds them itself. The
  // growing segment must be empty or already renumbered past `size`.
  void SetMain(std::unique_ptr<FaissSegment> segment, uint32_t size,
               std::vector<float> rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    main = std::move(segment);
    main_size = size;
    if (main != nullptr && main->rows() != nullptr) {
      main_copy = {};
      main_rows = main->rows();
    } else {
      main_copy = std::move(rows);
      main_rows = main_copy.data();
    }
  }

  LiveId Live(uint32_t internal) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    return {internal, FingerprintOf(ids.hash(internal))};
  }

  // The internal id of each of `ids` that is live, else nullopt. In passes,
  // each prefetching what the next reads (hash slots, then the ids found
  // by hash, then their strings), since at 1M items each is a cache miss:
  // the misses of many ids then overlap instead of queueing one behind
  // another, as they would in a find() per id.
  template <class Id>
  std::vector<std::optional<uint32_t>> FindLive(std::span<const Id> wanted) const
      ABSL_SHARED_LOCKS_REQUIRED(mu) {
    std::vector<std::optional<uint32_t>> found(wanted.size());
    std::vector<size_t> hashes(wanted.size());
    for (size_t i = 0; i < wanted.size(); ++i) {
      hashes[i] = IdTable::HashOf(wanted[i]);
      live_ids.prefetch(ByFingerprint{hashes[i]});
    }
    for (size_t i = 0; i < wanted.size(); ++i) {
      auto it = live_ids.find(ByFingerprint{hashes[i]});
      if (it == live_ids.end()) continue;
      found[i] = it->internal;
      ids.PrefetchEnds(it->internal);
    }
    for (const std::optional<uint32_t>& internal : found) {
      if (internal.has_value()) ids.PrefetchBytes(*internal);
    }
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (!found[i].has_value() || ids[*found[i]] == absl::string_view(wanted[i]))
        continue;
      // Another id with the same 39 hash bits (the table's 7 and these 32).
      auto it = live_ids.find(ByIdAndHash{wanted[i], hashes[i]});
      found[i] = it == live_ids.end() ? std::nullopt : std::optional(it->internal);
    }
    return found;
  }

  uint32_t Append(const std::string& id, const std::vector<float>& vector,
                  const ItemAttributes& attrs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const uint32_t internal = ids.size();
    ids.push_back(id);
    growing.Append(vector);
    attributes.Set(internal, attrs);
    live_ids.insert(Live(internal));
    return internal;
  }

  // After `ids` has been replaced by ids that are all live.
  void AllIdsLive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    live_ids.clear();
    live_ids.reserve(ids.size());
    for (uint32_t internal = 0; internal < ids.size(); ++internal) {
      live_ids.insert(Live(internal));
    }
  }
};

VectorIndex::VectorIndex(std::unique_ptr<State> state) : state_(std::move(state)) {}
VectorIndex::~VectorIndex() = default;

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(
    const IndexOptions& options) {
  if (absl::Status s = ValidateFactory(options.factory, options.dim); !s.ok()) {
    return s;
  }
  auto state = std::make_unique<State>(options);
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(state)));
}

int VectorIndex::dim() const { return state_->options.dim; }

absl::Status VectorIndex::Apply(std::span<const IndexChange> changes,
                                uint64_t watermark) {
  const int dim = state_->options.dim;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].vector.empty()) continue;
    if (changes[i].attributes.kind >= kMaxKinds) {
      return absl::InvalidArgumentError(absl::StrCat("kind of ", changes[i].id, " is ",
                                                     changes[i].attributes.kind,
                                                     ", at most ", kMaxKinds - 1));
    }
    if (absl::Status s = CheckVector(changes[i].vector, dim,
                                     absl::StrCat("vector of ", changes[i].id));
        !s.ok()) {
      return s;
    }
  }
  absl::WriterMutexLock lock(&state_->mu);
  State& st = *state_;
  if (st.ids.size() + changes.size() >= std::numeric_limits<uint32_t>::max()) {
    return absl::ResourceExhaustedError("index holds 2^32 ids; rebuild it");
  }
  for (const IndexChange& change : changes) {
    auto it = st.live_ids.find(change.id);
    if (change.vector.empty()) {
      if (it != st.live_ids.end()) {
        st.attributes.Kill(it->internal);
        st.live_ids.erase(it);
      }
      continue;
    }
    if (it != st.live_ids.end()) {
      if (std::equal(change.vector.begin(), change.vector.end(), st.Row(it->internal))) {
        // Same vector: only attributes changed (stock, regions), so the id
        // keeps its place in the main segment.
        st.attributes.Set(it->internal, change.attributes);
        continue;
      }
      st.attributes.Kill(it->internal);
      st.live_ids.erase(it);
    }
    st.Append(change.id, change.vector, change.attributes);
  }
  st.watermark = std::max(st.watermark, watermark);
  return absl::OkStatus();
}

namespace {

// Exact hits over-fetched by the number of excluded ids among them, back to
// the best k that are not excluded.
std::vector<std::pair<uint32_t, float>> WithoutExcluded(
    std::vector<std::pair<uint32_t, float>> hits, const Roaring& excluded, int k) {
  if (!excluded.isEmpty()) {
    std::erase_if(hits, [&](const auto& hit) { return excluded.contains(hit.first); });
  }
  if (hits.size() > static_cast<size_t>(k)) hits.resize(k);
  return hits;
}

}  // namespace

absl::StatusOr<std::vector<Hit>> VectorIndex::Search(std::span<const float> query, int k,
                                                     const SearchFilter& filter) const {
  if (k <= 0) return absl::InvalidArgumentError("k must be positive");
  if (absl::Status s = CheckVector(query, state_->options.dim, "query"); !s.ok()) {
    return s;
  }
  if (filter.exclude_resolved != nullptr && filter.exclude_resolved->index != this) {
    return absl::InvalidArgumentError("exclude_resolved was resolved by another index");
  }
  absl::ReaderMutexLock lock(&state_->mu);
  const State& st = *state_;
  if (filter.exclude_resolved != nullptr &&
      filter.exclude_resolved->numbering != st.numbering) {
    return absl::FailedPreconditionError(
        "exclude_resolved was resolved before the index was rebuilt");
  }
  std::shared_ptr<const Roaring> shared_allowed = st.attributes.Allowed(filter);
  const Roaring& allowed = *shared_allowed;
  // The exclusions that matter, the allowed ones: a few ids (a user's seen
  // items, a query's own item) checked apart from the allow-list, which
  // spans the catalog and would cost a copy of itself per search to edit.
  Roaring excluded;
  if (filter.exclude_resolved != nullptr) {
    excluded = filter.exclude_resolved->ids & allowed;
  }
  for (const std::string& id : filter.exclude_ids) {
    if (auto it = st.live_ids.find(id);
        it != st.live_ids.end() && allowed.contains(it->internal)) {
      excluded.add(it->internal);
    }
  }
  const uint64_t excluded_in_main =
      st.main_size > 0 ? excluded.rank(st.main_size - 1) : 0;
  const uint64_t excluded_in_growing = excluded.cardinality() - excluded_in_main;
  const uint32_t total = st.ids.size();
  const int dim = st.options.dim;
  std::vector<std::pair<uint32_t, float>> hits;
  if (st.main_size > 0) {
    const uint64_t allowed_in_main = allowed.rank(st.main_size - 1) - excluded_in_main;
    const uint64_t always_exact = std::max(st.options.exact_search_max_candidates, 0);
    // The cost model is the HNSW walk's; other factories keep the count rule.
    const bool scan = allowed_in_main <= always_exact ||
                      (st.main->owns_graph_search() &&
                       ExactScanIsCheaper(allowed_in_main, st.main_size,
                                          std::max(st.options.hnsw_ef_search, k),
                                          st.options.exact_search_cost_weight));
    if (!scan) {
      absl::StatusOr<std::vector<std::pair<int64_t, float>>> graph =
          st.main->Search(query, k, allowed, &excluded);
      if (!graph.ok()) return graph.status();
      if (graph->size() >= std::min<uint64_t>(k, allowed_in_main)) {
        for (const auto& [label, score] : *graph) {
          hits.emplace_back(static_cast<uint32_t>(label), score);
        }
      }
    }
    if (hits.empty() && allowed_in_main > 0) {
      hits = WithoutExcluded(
          ExactTopKInRange(query, st.main_rows, dim, allowed, 0, st.main_size,
                           k + static_cast<int>(excluded_in_main)),
          excluded, k);
    }
  }
  std::vector<std::pair<uint32_t, float>> growing = WithoutExcluded(
      ExactTopKInBlocks(query, st.growing.Blocks(), RowBlocks::kBlockRows, dim, allowed,
                        st.main_size, total, k + static_cast<int>(excluded_in_growing)),
      excluded, k);
  hits.insert(hits.end(), growing.begin(), growing.end());
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  if (static_cast<int>(hits.size()) > k) hits.resize(k);
  std::vector<Hit> out;
  out.reserve(hits.size());
  for (const auto& [internal, score] : hits) {
    out.push_back({std::string(st.ids[internal]), score});
  }
  return out;
}

std::optional<std::vector<float>> VectorIndex::Vector(absl::string_view id) const {
  absl::ReaderMutexLock lock(&state_->mu);
  auto it = state_->live_ids.find(id);
  if (it == state_->live_ids.end()) return std::nullopt;
  const float* v = state_->Row(it->internal);
  return std::vector<float>(v, v + state_->options.dim);
}

std::vector<std::vector<float>> VectorIndex::Vectors(
    std::span<const std::string> ids) const {
  const size_t dim = state_->options.dim;
  std::vector<float> block(ids.size() * dim);
  const std::vector<bool> found = CopyVectors(ids, block);
  std::vector<std::vector<float>> vectors(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (found[i]) vectors[i].assign(&block[i * dim], &block[i * dim] + dim);
  }
  return vectors;
}

std::vector<bool> VectorIndex::CopyVectors(std::span<const std::string> ids,
                                           std::span<float> out) const {
  const size_t dim = state_->options.dim;
  std::vector<bool> found(ids.size(), false);
  if (out.size() < ids.size() * dim) return found;
  // The rows are prefetched before any is copied, as FindLive does.
  std::vector<const float*> rows(ids.size(), nullptr);
  absl::ReaderMutexLock lock(&state_->mu);
  const std::vector<std::optional<uint32_t>> internal = state_->FindLive(ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!internal[i].has_value()) continue;
    rows[i] = state_->Row(*internal[i]);
    for (size_t d = 0; d < dim; d += 16) __builtin_prefetch(rows[i] + d);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (rows[i] == nullptr) continue;
    std::copy(rows[i], rows[i] + dim, out.begin() + i * dim);
    found[i] = true;
  }
  return found;
}

std::shared_ptr<const ResolvedIds> VectorIndex::Resolve(
    std::span<const absl::string_view> ids) const {
  auto resolved = std::make_shared<ResolvedIds>();
  resolved->index = this;
  std::vector<uint32_t> internal;
  internal.reserve(ids.size());
  {
    absl::ReaderMutexLock lock(&state_->mu);
    resolved->numbering = state_->numbering;
    for (const std::optional<uint32_t>& live : state_->FindLive(ids)) {
      if (live.has_value()) internal.push_back(*live);
    }
  }
  resolved->ids.addMany(internal.size(), internal.data());
  return resolved;
}

std::vector<size_t> VectorIndex::Absent(std::span<const std::string> ids) const {
  std::vector<size_t> absent;
  absl::ReaderMutexLock lock(&state_->mu);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!state_->live_ids.contains(ids[i])) absent.push_back(i);
  }
  return absent;
}

namespace {

// The live vectors of a state, renumbered densely in internal-id order so
// that a rebuild of the same state is the same input to FAISS.
struct LiveCopy {
  IdTable ids;
  std::vector<float> vectors;
  AttributeBitmaps attributes;
};

template <class RowOf>
LiveCopy CopyLive(const IdTable& ids, const RowOf& row_of,
                  const AttributeBitmaps& attributes, size_t live, int dim) {
  LiveCopy copy;
  // Ids of live items are at most all the bytes.
  copy.ids.reserve(live, ids.bytes());
  copy.vectors.reserve(live * dim);
  for (uint32_t old_id : attributes.live()) {
    const uint32_t new_id = copy.ids.size();
    copy.ids.push_back(ids[old_id]);
    const float* v = row_of(old_id);
    copy.vectors.insert(copy.vectors.end(), v, v + dim);
    copy.attributes.Set(new_id, attributes.Get(old_id));
  }
  return copy;
}

absl::StatusOr<std::unique_ptr<FaissSegment>> BuildSegment(
    const IndexOptions& options, const LiveCopy& copy, int threads,
    const BuildProgress& progress) {
  if (copy.ids.empty()) return nullptr;
  return FaissSegment::Build(options.factory, options.dim, copy.vectors.data(),
                             copy.ids.size(), options.hnsw_ef_construction,
                             SearchParamsOf(options), threads, progress);
}

}  // namespace

absl::Status VectorIndex::BuildMain(const BuildProgress& progress) {
  absl::WriterMutexLock lock(&state_->mu);
  State& st = *state_;
  LiveCopy copy = CopyLive(
      st.ids, [&st](uint32_t id) { return st.Row(id); }, st.attributes,
      st.live_ids.size(), st.options.dim);
  absl::StatusOr<std::unique_ptr<FaissSegment>> main =
      BuildSegment(st.options, copy, st.options.build_threads, progress);
  if (!main.ok()) return main.status();
  st.SetMain(*std::move(main), copy.ids.size(), std::move(copy.vectors));
  st.growing = RowBlocks(st.options.dim);
  st.ids = std::move(copy.ids);
  st.attributes = std::move(copy.attributes);
  st.AllIdsLive();
  ++st.numbering;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Compacted(int threads) const {
  auto next = std::make_unique<State>(state_->options);
  LiveCopy copy;
  {
    // Only the copy holds the lock, and only against writers.
    absl::ReaderMutexLock lock(&state_->mu);
    const State& st = *state_;
    next->watermark = st.watermark;
    copy = CopyLive(
        st.ids, [&st](uint32_t id) { return st.Row(id); }, st.attributes,
        st.live_ids.size(), st.options.dim);
  }
  absl::StatusOr<std::unique_ptr<FaissSegment>> main =
      BuildSegment(next->options, copy, threads, {});
  if (!main.ok()) return main.status();
  absl::WriterMutexLock lock(&next->mu);
  next->SetMain(*std::move(main), copy.ids.size(), std::move(copy.vectors));
  next->ids = std::move(copy.ids);
  next->attributes = std::move(copy.attributes);
  next->AllIdsLive();
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(next)));
}

absl::Status VectorIndex::SaveSnapshot(const std::filesystem::path& dir,
                                       const std::string& version) {
  namespace fs = std::filesystem;
  {
    // A reader lock: searches go on while the snapshot is written; writers
    // wait, so the files describe one state.
    absl::ReaderMutexLock lock(&state_->mu);
    const State& st = *state_;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
      return absl::AlreadyExistsError(absl::StrCat(dir.string(), " exists"));
    }
    const fs::path tmp = dir.string() + ".tmp";
    fs::remove_all(tmp, ec);
    if (!fs::create_directories(tmp, ec)) {
      return absl::InternalError(
          absl::StrCat("cannot create ", tmp.string(), ": ", ec.message()));
    }
    std::vector<std::string> names;
    if (st.main) {
      if (absl::Status s = st.main->Save(tmp / kMainFile); !s.ok()) return s;
      if (absl::Status s = SyncPath(tmp / kMainFile); !s.ok()) return s;
      names.push_back(kMainFile);
    }
    // Every row, main then growing, as one file: the layout older code
    // reads, though the rows are held in two places now.
    std::vector<std::string_view> vector_pieces = {
        {reinterpret_cast<const char*>(st.main_rows),
         static_cast<size_t>(st.main_size) * st.options.dim * sizeof(float)}};
    for (std::string_view piece : st.growing.Pieces()) vector_pieces.push_back(piece);
    if (absl::Status s = WriteFileDurably(tmp / kVectorsFile, vector_pieces); !s.ok()) {
      return s;
    }
    names.push_back(kVectorsFile);
    // Named, so that they outlive the loop: string_views into temporaries in
    // the range initialiser would dangle (their lifetime ends before the body).
    const std::string id_bytes = SerializeIds(st.ids);
    const std::string attribute_bytes = st.attributes.Serialize();
    for (const auto& [name, bytes] :
         {std::pair<std::string, std::string_view>{kIdsFile, id_bytes},
          {kAttributesFile, attribute_bytes}}) {
      if (absl::Status s = WriteFileDurably(tmp / name, bytes); !s.ok()) return s;
      names.push_back(name);
    }
    SnapshotManifest manifest;
    manifest.set_format_version(kSnapshotFormat);
    manifest.set_version(version);
    manifest.set_dimension(st.options.dim);
    manifest.set_metric(kMetric);
    manifest.set_factory(st.main ? st.main->factory() : st.options.factory);
    manifest.set_total_ids(st.ids.size());
    manifest.set_main_size(st.main_size);
    manifest.set_live(st.live_ids.size());
    manifest.set_watermark(st.watermark);
    manifest.set_created_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    for (const std::string& name : names) {
      absl::StatusOr<uint64_t> sum = FileXxh64(tmp / name);
      if (!sum.ok()) return sum.status();
      SnapshotFile* file = manifest.add_files();
      file->set_name(name);
      file->set_bytes(fs::file_size(tmp / name));
      file->set_xxh64(*sum);
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(manifest, &text);
    if (absl::Status s = WriteFileDurably(tmp / kManifestFile, text); !s.ok()) {
      return s;
    }
    if (absl::Status s = SyncPath(tmp); !s.ok()) return s;
    fs::rename(tmp, dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot rename ", tmp.string(), ": ", ec.message()));
    }
    // A bare relative name has an empty parent: the working directory.
    const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    if (absl::Status s = SyncPath(parent); !s.ok()) return s;
  }
  // Stats() reads `version` under the reader lock, so it is written under
  // the writer lock, not the reader lock held while writing files.
  absl::WriterMutexLock lock(&state_->mu);
  state_->version = version;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::LoadSnapshot(
    const std::filesystem::path& dir, const IndexOptions& options) {
  namespace fs = std::filesystem;
  absl::StatusOr<SnapshotManifest> parsed = ReadManifest(dir);
  if (!parsed.ok()) return parsed.status();
  const SnapshotManifest& manifest = *parsed;
  const std::string where = absl::StrCat("snapshot ", dir.string(), ": ");
  if (manifest.format_version() != kSnapshotFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, "format ", manifest.format_version(), " is not supported"));
  }
  if (manifest.dimension() != options.dim) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, "dimension ", manifest.dimension(),
                     " does not match the configured ", options.dim));
  }
  if (manifest.metric() != kMetric) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, "metric ", manifest.metric(), " is not ", kMetric));
  }
  bool has_main = false;
  int required_listed = 0;
  for (const SnapshotFile& file : manifest.files()) {
    for (const char* required : {kVectorsFile, kIdsFile, kAttributesFile}) {
      required_listed += file.name() == required;
    }
    std::error_code ec;
    const uint64_t bytes = fs::file_size(dir / file.name(), ec);
    if (ec || bytes != file.bytes()) {
      return absl::DataLossError(
          absl::StrCat(where, file.name(), " is missing or truncated"));
    }
    absl::StatusOr<uint64_t> sum = FileXxh64(dir / file.name());
    if (!sum.ok()) return sum.status();
    if (*sum != file.xxh64()) {
      return absl::DataLossError(absl::StrCat(where, file.name(), " fails its checksum"));
    }
    has_main |= file.name() == kMainFile;
  }
  // Every file read below must have been checked above.
  if (required_listed != 3) {
    return absl::DataLossError(absl::StrCat(where, "MANIFEST does not list every file"));
  }
  auto state = std::make_unique<State>(options);
  State& st = *state;
  absl::StatusOr<std::string> ids = ReadWholeFile(dir / kIdsFile);
  absl::StatusOr<std::string> attributes = ReadWholeFile(dir / kAttributesFile);
  for (const auto* read : {&ids, &attributes}) {
    if (!read->ok()) return read->status();
  }
  const size_t row_bytes = options.dim * sizeof(float);
  std::error_code ec;
  const uint64_t vector_bytes = fs::file_size(dir / kVectorsFile, ec);
  if (ec || !ParseIds(*ids, &st.ids) || st.ids.size() != manifest.total_ids() ||
      vector_bytes != st.ids.size() * row_bytes ||
      !AttributeBitmaps::Deserialize(*attributes, &st.attributes) ||
      manifest.main_size() > st.ids.size()) {
    return absl::DataLossError(absl::StrCat(where, "files are inconsistent"));
  }
  for (uint32_t internal : st.attributes.live()) {
    if (internal >= st.ids.size()) {
      return absl::DataLossError(
          absl::StrCat(where, "attributes name id ", internal, " beyond ids"));
    }
    if (!st.live_ids.insert(st.Live(internal)).second) {
      return absl::DataLossError(
          absl::StrCat(where, "id ", st.ids[internal], " is live twice"));
    }
  }
  const uint32_t main_size = manifest.main_size();
  std::unique_ptr<FaissSegment> main;
  if (has_main) {
    absl::StatusOr<std::unique_ptr<FaissSegment>> loaded = FaissSegment::Load(
        dir / kMainFile, manifest.factory(), options.dim, SearchParamsOf(options));
    if (!loaded.ok()) return loaded.status();
    if ((*loaded)->size() != static_cast<int64_t>(main_size)) {
      return absl::DataLossError(absl::StrCat(where, "main.faiss holds ",
                                              (*loaded)->size(), " vectors, expected ",
                                              main_size));
    }
    main = *std::move(loaded);
  } else if (main_size != 0) {
    return absl::DataLossError(absl::StrCat(where, "main.faiss is missing"));
  }
  // vectors.f32 holds every row, but a main segment with float rows already
  // has its own (the same bytes, saved from the same memory): only the
  // growing segment's are read then.
  std::vector<float> main_rows;
  if (main_size > 0 && main->rows() == nullptr) {
    main_rows.resize(static_cast<size_t>(main_size) * options.dim);
    if (absl::Status s = ReadFileRange(
            dir / kVectorsFile, 0,
            {reinterpret_cast<char*>(main_rows.data()), main_size * row_bytes});
        !s.ok()) {
      return s;
    }
  }
  st.growing.Reset(st.ids.size() - main_size);
  uint64_t offset = main_size * row_bytes;
  for (std::span<char> piece : st.growing.MutablePieces()) {
    if (absl::Status s = ReadFileRange(dir / kVectorsFile, offset, piece); !s.ok()) {
      return s;
    }
    offset += piece.size();
  }
  st.SetMain(std::move(main), main_size, std::move(main_rows));
  st.watermark = manifest.watermark();
  st.version = manifest.version();
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(state)));
}

absl::StatusOr<SnapshotInfo> VectorIndex::ReadSnapshotInfo(
    const std::filesystem::path& dir) {
  absl::StatusOr<SnapshotManifest> manifest = ReadManifest(dir);
  if (!manifest.ok()) return manifest.status();
  SnapshotInfo info;
  info.version = manifest->version();
  info.dim = manifest->dimension();
  info.metric = manifest->metric();
  info.factory = manifest->factory();
  info.live = manifest->live();
  info.watermark = manifest->watermark();
  info.created_at_ms = manifest->created_at_ms();
  for (const SnapshotFile& file : manifest->files()) info.bytes += file.bytes();
  return info;
}

IndexStats VectorIndex::Stats() const {
  absl::ReaderMutexLock lock(&state_->mu);
  const State& st = *state_;
  IndexStats stats;
  stats.live = st.live_ids.size();
  stats.main = st.main_size == 0 ? 0 : st.attributes.LiveCountIn(0, st.main_size);
  stats.growing = stats.live - stats.main;
  stats.dead = static_cast<int64_t>(st.ids.size()) - stats.live;
  stats.factory = st.main ? st.main->factory() : st.options.factory;
  stats.dim = st.options.dim;
  stats.watermark = st.watermark;
  stats.version = st.version;
  return stats;
}

}  // namespace zhongcao::index
