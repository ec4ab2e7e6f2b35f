#include "index/flat_ip_storage.h"

#include <memory>
#include <utility>

#include "faiss/IndexHNSW.h"
#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

// One class per kernel, picked once per computer, so that each distance is
// the one virtual call FAISS makes anyway and no further dispatch.
template <bool kAvx2>
class IpComputer : public faiss::FlatCodesDistanceComputer {
 public:
  IpComputer(const float* base, size_t d)
      : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(base),
                                         d * sizeof(float)),
        base_(base),
        d_(d) {}

  void set_query(const float* x) override { query_ = x; }

  float distance_to_code(const uint8_t* code) override {
    return Ip(query_, reinterpret_cast<const float*>(code));
  }

  float symmetric_dis(idx_t i, idx_t j) override {
    return Ip(base_ + i * d_, base_ + j * d_);
  }

 private:
  float Ip(const float* a, const float* b) const {
    if constexpr (kAvx2) {
      return Avx2(a, b, d_);
    } else {
      return InnerProductPortable(a, b, d_);
    }
  }
  __attribute__((target("avx2,fma"))) static float Avx2(const float* a, const float* b,
                                                        size_t d) {
    return InnerProductAvx2(a, b, d);
  }

  const float* base_;
  size_t d_;
  const float* query_ = nullptr;
};

}  // namespace

faiss::FlatCodesDistanceComputer* FlatIpStorage::get_FlatCodesDistanceComputer() const {
  const float* base = get_xb();
  if (HaveAvx2Fma()) return new IpComputer<true>(base, d);
  return new IpComputer<false>(base, d);
}

bool AdoptFlatIpStorage(faiss::Index* index) {
  auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index);
  // Storage owned elsewhere is not ours to empty.
  if (hnsw == nullptr || hnsw->storage == nullptr || !hnsw->own_fields) return false;
  if (dynamic_cast<FlatIpStorage*>(hnsw->storage) != nullptr) return true;
  auto* flat = dynamic_cast<faiss::IndexFlat*>(hnsw->storage);
  if (flat == nullptr || flat->metric_type != faiss::METRIC_INNER_PRODUCT ||
      flat->code_size != flat->d * sizeof(float)) {
    return false;
  }
  auto storage = std::make_unique<FlatIpStorage>(flat->d);
  storage->codes = std::move(flat->codes);
  storage->ntotal = flat->ntotal;
  storage->is_trained = flat->is_trained;
  storage->verbose = flat->verbose;
  delete flat;
  hnsw->storage = storage.release();
  return true;
}

}  // namespace zhongcao::index
