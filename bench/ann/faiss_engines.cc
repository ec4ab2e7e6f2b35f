// Raw FAISS engines: the HNSW index the service wraps, searched directly,
// and exact search.
#include <omp.h>

#include <chrono>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/ann/engine.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexHNSW.h"
#include "faiss/index_factory.h"
#include "faiss/index_io.h"

namespace zhongcao::bench {
namespace {

int Cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// k + 1 answers so that dropping the query's own row still leaves k.
class FaissEngineBase : public Engine {
 public:
  void Search(const float* query, int k, int64_t self) override {
    wanted_ = k;
    self_ = self;
    const int wide = self >= 0 ? k + 1 : k;
    labels_.resize(wide);
    scores_.resize(wide);
    index_->search(1, query, wide, scores_.data(), labels_.data());
  }
  void Collect(std::vector<int64_t>* rows) override {
    rows->clear();
    for (faiss::Index::idx_t label : labels_) {
      if (label < 0 || label == self_) continue;
      if (static_cast<int>(rows->size()) == wanted_) break;
      rows->push_back(label);
    }
  }
  bool built_now() const override { return built_now_; }
  double build_seconds() const override { return build_seconds_; }

 protected:
  std::unique_ptr<faiss::Index> index_;
  bool built_now_ = false;
  double build_seconds_ = 0;

 private:
  int wanted_ = 0;
  int64_t self_ = -1;
  std::vector<faiss::Index::idx_t> labels_;
  std::vector<float> scores_;
};

class FaissEngine : public FaissEngineBase {
 public:
  FaissEngine(std::string factory, int ef_construction)
      : factory_(std::move(factory)), ef_construction_(ef_construction) {}

  std::string name() const override { return "faiss"; }

  absl::Status Prepare(const Dataset& data, const std::filesystem::path& cache_dir,
                       int threads) override {
    const std::filesystem::path cached =
        cache_dir.empty()
            ? std::filesystem::path()
            : cache_dir / absl::StrCat("faiss-", data.key, "-",
                                       absl::StrReplaceAll(factory_, {{",", "_"}}),
                                       "-efc", ef_construction_, ".index");
    try {
      if (!cached.empty() && std::filesystem::exists(cached)) {
        index_.reset(faiss::read_index(cached.c_str()));
        if (index_->d == data.dim && index_->ntotal == data.n) return Searchable();
        index_.reset();
      }
      const auto start = std::chrono::steady_clock::now();
      index_.reset(
          faiss::index_factory(data.dim, factory_.c_str(), faiss::METRIC_INNER_PRODUCT));
      if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get())) {
        hnsw->hnsw.efConstruction = ef_construction_;
      }
      omp_set_num_threads(threads > 0 ? threads : Cores());
      if (!index_->is_trained) index_->train(data.n, data.vectors.data());
      index_->add(data.n, data.vectors.data());
      build_seconds_ =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      built_now_ = true;
      if (!cached.empty()) {
        const std::filesystem::path tmp = cached.string() + ".tmp";
        faiss::write_index(index_.get(), tmp.c_str());
        std::filesystem::rename(tmp, cached);
      }
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("faiss ", factory_, ": ", e.what()));
    }
    return Searchable();
  }

  absl::Status SetEf(int ef) override {
    auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get());
    if (hnsw == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("efSearch needs an HNSW factory, not ", factory_));
    }
    hnsw->hnsw.efSearch = ef;
    return absl::OkStatus();
  }

 private:
  // One query opens an OpenMP region; more than one thread there costs
  // milliseconds per query (STACK.md), and the service runs with one.
  absl::Status Searchable() {
    omp_set_num_threads(1);
    return absl::OkStatus();
  }

  std::string factory_;
  int ef_construction_;
};

class FlatEngine : public FaissEngineBase {
 public:
  std::string name() const override { return "flat"; }
  bool sweeps_ef() const override { return false; }
  absl::Status Prepare(const Dataset& data, const std::filesystem::path&, int) override {
    const auto start = std::chrono::steady_clock::now();
    auto flat = std::make_unique<faiss::IndexFlatIP>(data.dim);
    flat->add(data.n, data.vectors.data());
    index_ = std::move(flat);
    built_now_ = true;
    build_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    omp_set_num_threads(1);
    return absl::OkStatus();
  }
  absl::Status SetEf(int) override { return absl::OkStatus(); }
};

}  // namespace

std::unique_ptr<Engine> MakeFaissEngine(const std::string& factory, int ef_construction) {
  return std::make_unique<FaissEngine>(factory, ef_construction);
}

std::unique_ptr<Engine> MakeFlatEngine() { return std::make_unique<FlatEngine>(); }

}  // namespace zhongcao::bench
