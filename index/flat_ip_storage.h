// Flat inner-product vector storage for FAISS's HNSW whose distance computer
// uses our kernels, so that FAISS's graph build (which asks the storage for
// its distance computer) runs on AVX2 instead of Debian's scalar loop.
#pragma once

#include "faiss/IndexFlat.h"

namespace zhongcao::index {

// Written by faiss::write_index as a plain IndexFlatIP ("IxFI"): files stay
// readable by any FAISS.
class FlatIpStorage : public faiss::IndexFlatIP {
 public:
  explicit FlatIpStorage(idx_t dim) : faiss::IndexFlatIP(dim) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// When `index` is an IndexHNSW over flat inner-product float storage,
// replaces that storage with a FlatIpStorage holding the same vectors (moved,
// not copied) and returns true. Call before add() so that the build uses it,
// and after read_index() so that later adds and FAISS's own search do.
bool AdoptFlatIpStorage(faiss::Index* index);

}  // namespace zhongcao::index
