#include "index/faiss_segment.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexHNSW.h"
#include "faiss/IndexIVF.h"
#include "faiss/impl/IDSelector.h"
#include "faiss/index_factory.h"
#include "faiss/index_io.h"
#include "index/flat_ip_storage.h"

namespace zhongcao::index {
namespace {

// FAISS opens an OpenMP parallel region even for one query; with more than
// one OpenMP thread a serving thread then pays milliseconds of spin and
// hand-off (STACK.md). The setting is per thread, so every thread that
// searches sets it once.
void UseOneOpenMpThreadForSearch() {
  thread_local bool done = [] {
    omp_set_num_threads(1);
    return true;
  }();
  (void)done;
}

class RoaringSelector : public faiss::IDSelector {
 public:
  explicit RoaringSelector(const Roaring& allowed) : allowed_(allowed) {}
  bool is_member(idx_t id) const override {
    return allowed_.contains(static_cast<uint32_t>(id));
  }

 private:
  const Roaring& allowed_;
};

// The index's vectors as contiguous float rows in label order, if it keeps
// them that way.
const float* FlatRows(const faiss::Index& index) {
  const faiss::Index* storage = &index;
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index)) {
    // Rebuilt-from-neighbours storage is not the row it looks like.
    if (hnsw->reconstruct_from_neighbors != nullptr) return nullptr;
    storage = hnsw->storage;
  }
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(storage);
  if (flat == nullptr || flat->code_size != flat->d * sizeof(float) ||
      flat->ntotal != index.ntotal ||
      flat->codes.size() != static_cast<size_t>(flat->ntotal) * flat->code_size) {
    return nullptr;
  }
  return flat->get_xb();
}

absl::StatusOr<std::unique_ptr<faiss::Index>> MakeIndex(const std::string& factory,
                                                        int dim) {
  if (dim <= 0) return absl::InvalidArgumentError("dimension must be positive");
  if (factory.find("IDMap") != std::string::npos) {
    return absl::InvalidArgumentError(
        "index factory must not use IDMap: zhongcao maps ids itself");
  }
  try {
    return std::unique_ptr<faiss::Index>(
        faiss::index_factory(dim, factory.c_str(), faiss::METRIC_INNER_PRODUCT));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("index factory \"", factory, "\" rejected: ", e.what()));
  }
}

}  // namespace

absl::Status ValidateFactory(const std::string& factory, int dim) {
  return MakeIndex(factory, dim).status();
}

FaissSegment::FaissSegment(std::unique_ptr<faiss::Index> index, std::string factory,
                           const FaissSearchParams& params,
                           std::unique_ptr<HnswFlatSearch> graph_search)
    : index_(std::move(index)),
      graph_search_(std::move(graph_search)),
      factory_(std::move(factory)),
      params_(params) {
  rows_ = FlatRows(*index_);
  // FAISS 1.7.3 bounds a search by both the index-wide efSearch and the one
  // in SearchParametersHNSW (default 16), so both are set: this one here,
  // before any search and never again, the other in Search().
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get())) {
    hnsw->hnsw.efSearch = params_.hnsw_ef_search;
  }
}

FaissSegment::~FaissSegment() = default;

absl::StatusOr<std::unique_ptr<FaissSegment>> FaissSegment::Make(
    std::unique_ptr<faiss::Index> index, std::string factory,
    const FaissSearchParams& params) {
  absl::StatusOr<std::unique_ptr<HnswFlatSearch>> graph_search =
      HnswFlatSearch::For(*index);
  if (!graph_search.ok()) return graph_search.status();
  return std::unique_ptr<FaissSegment>(new FaissSegment(
      std::move(index), std::move(factory), params, *std::move(graph_search)));
}

absl::StatusOr<std::unique_ptr<FaissSegment>> FaissSegment::Build(
    const std::string& factory, int dim, const float* vectors, int64_t n,
    int hnsw_ef_construction, const FaissSearchParams& params, int threads,
    const BuildProgress& progress) {
  absl::StatusOr<std::unique_ptr<faiss::Index>> index = MakeIndex(factory, dim);
  if (!index.ok()) return index.status();
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->get())) {
    hnsw->hnsw.efConstruction = hnsw_ef_construction;
  }
  // Before the first add: FAISS's HNSW build takes its distances from it.
  AdoptFlatIpStorage(index->get());
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  omp_set_num_threads(threads > 0 ? threads : std::max(1, cores));
  absl::Status status;
  try {
    if (!(*index)->is_trained) (*index)->train(n, vectors);
    // Slices big enough that each add still keeps every thread busy.
    const int64_t slice = progress ? std::max<int64_t>(n / 50, 10000) : n;
    for (int64_t added = 0; added < n; added += slice) {
      const int64_t count = std::min(slice, n - added);
      (*index)->add(count, vectors + added * dim);
      if (progress) progress(added + count, n);
    }
  } catch (const std::exception& e) {
    status = absl::FailedPreconditionError(absl::StrCat(
        "building \"", factory, "\" over ", n, " vectors failed: ", e.what()));
  }
  omp_set_num_threads(1);
  if (!status.ok()) return status;
  return Make(*std::move(index), factory, params);
}

absl::StatusOr<std::unique_ptr<FaissSegment>> FaissSegment::Load(
    const std::filesystem::path& file, const std::string& factory, int dim,
    const FaissSearchParams& params) {
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(file.c_str()));
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("cannot read FAISS index ", file.string(), ": ", e.what()));
  }
  if (index->d != dim) {
    return absl::FailedPreconditionError(
        absl::StrCat("FAISS index ", file.string(), " has dimension ", index->d,
                     ", the service is configured for ", dim));
  }
  if (index->metric_type != faiss::METRIC_INNER_PRODUCT) {
    return absl::FailedPreconditionError(
        absl::StrCat("FAISS index ", file.string(), " does not use inner product"));
  }
  AdoptFlatIpStorage(index.get());
  absl::StatusOr<std::unique_ptr<FaissSegment>> segment =
      Make(std::move(index), factory, params);
  if (!segment.ok()) {
    return absl::DataLossError(
        absl::StrCat("FAISS index ", file.string(), ": ", segment.status().message()));
  }
  return segment;
}

absl::StatusOr<std::vector<std::pair<int64_t, float>>> FaissSegment::Search(
    std::span<const float> query, int k, const Roaring& allowed,
    const Roaring* excluded) const {
  if (graph_search_) {
    return graph_search_->Search(query.data(), k, params_.hnsw_ef_search, allowed,
                                 excluded);
  }
  UseOneOpenMpThreadForSearch();
  // FAISS takes one selector: the allow-list less the exclusions, copied.
  Roaring allowed_less_excluded;
  const bool excludes = excluded != nullptr && !excluded->isEmpty();
  if (excludes) allowed_less_excluded = allowed - *excluded;
  RoaringSelector selector(excludes ? allowed_less_excluded : allowed);
  faiss::SearchParametersHNSW hnsw_params;
  faiss::SearchParametersIVF ivf_params;
  faiss::SearchParameters plain_params;
  faiss::SearchParameters* params = &plain_params;
  if (dynamic_cast<const faiss::IndexHNSW*>(index_.get()) != nullptr) {
    // Search parameters carry their own efSearch (default 16) and FAISS
    // 1.7.3 does use it when they are passed: leaving it at the default cut
    // recall@10 from 0.99 to 0.8 on 2000 vectors.
    hnsw_params.efSearch = params_.hnsw_ef_search;
    params = &hnsw_params;
  } else if (dynamic_cast<const faiss::IndexIVF*>(index_.get()) != nullptr) {
    ivf_params.nprobe = params_.ivf_nprobe;
    params = &ivf_params;
  }
  params->sel = &selector;
  std::vector<float> distances(k);
  std::vector<faiss::Index::idx_t> labels(k);
  try {
    index_->search(1, query.data(), k, distances.data(), labels.data(), params);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("FAISS search failed: ", e.what()));
  }
  std::vector<std::pair<int64_t, float>> hits;
  hits.reserve(k);
  for (int i = 0; i < k; ++i) {
    if (labels[i] < 0) break;
    hits.emplace_back(labels[i], distances[i]);
  }
  return hits;
}

absl::Status FaissSegment::Save(const std::filesystem::path& file) const {
  try {
    faiss::write_index(index_.get(), file.c_str());
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot write FAISS index ", file.string(), ": ", e.what()));
  }
  return absl::OkStatus();
}

int64_t FaissSegment::size() const { return index_->ntotal; }

}  // namespace zhongcao::index
