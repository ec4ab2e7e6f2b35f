// The item index that answers searches, replaced whole. A request takes the
// current version once and searches only it, so a swap never shows one
// request a mix of two versions, and a version lives until its last request.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "index/vector_index.h"

namespace zhongcao::index {

struct IndexVersion {
  std::string name;  // the snapshot directory it is saved as, e.g. "v000003"
  std::shared_ptr<VectorIndex> index;
};

class ServingIndex {
 public:
  explicit ServingIndex(std::shared_ptr<const IndexVersion> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const IndexVersion> Current() const {
    absl::ReaderMutexLock lock(&mu_);
    return current_;
  }

  // Serves `next` from the next Current() on; returns the version replaced.
  std::shared_ptr<const IndexVersion> Swap(std::shared_ptr<const IndexVersion> next) {
    absl::MutexLock lock(&mu_);
    std::swap(current_, next);
    return next;
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const IndexVersion> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zhongcao::index
