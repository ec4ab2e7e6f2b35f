// hnswlib as the reference engine. hnswlib.h defines non-inline functions,
// so it may be included by this one file only; this file alone is built with
// -O3 -march=native, as hnswlib is meant to be, so that its SIMD kernels are
// the ones this CPU has.
#include <hnswlib/hnswlib.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/ann/engine.h"

namespace zhongcao::bench {
namespace {

class HnswlibEngine : public Engine {
 public:
  HnswlibEngine(int m, int ef_construction) : m_(m), ef_construction_(ef_construction) {}

  std::string name() const override { return "hnswlib"; }

  absl::Status Prepare(const Dataset& data, const std::filesystem::path& cache_dir,
                       int threads) override {
    space_ = std::make_unique<hnswlib::InnerProductSpace>(data.dim);
    const std::filesystem::path cached =
        cache_dir.empty() ? std::filesystem::path()
                          : cache_dir / absl::StrCat("hnswlib-", data.key, "-M", m_,
                                                     "-efc", ef_construction_, ".bin");
    try {
      if (!cached.empty() && std::filesystem::exists(cached)) {
        index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(),
                                                                   cached.string());
        if (static_cast<int64_t>(index_->cur_element_count) == data.n) {
          return absl::OkStatus();
        }
        index_.reset();
      }
      const auto start = std::chrono::steady_clock::now();
      index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
          space_.get(), static_cast<size_t>(data.n), static_cast<size_t>(m_),
          static_cast<size_t>(ef_construction_));
      // addPoint is thread-safe; the first point goes in alone so that the
      // others have an entry point to link to.
      if (data.n > 0) index_->addPoint(data.row(0), 0);
      std::atomic<int64_t> next{1};
      std::exception_ptr failure;
      std::atomic<bool> failed{false};
      auto work = [&] {
        try {
          for (int64_t i = next++; i < data.n && !failed; i = next++) {
            index_->addPoint(data.row(i), static_cast<hnswlib::labeltype>(i));
          }
        } catch (...) {
          if (!failed.exchange(true)) failure = std::current_exception();
        }
      };
      if (threads <= 0) {
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
      }
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(work);
      work();
      for (std::thread& t : pool) t.join();
      if (failure) std::rethrow_exception(failure);
      build_seconds_ =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      built_now_ = true;
      if (!cached.empty()) {
        const std::filesystem::path tmp = cached.string() + ".tmp";
        index_->saveIndex(tmp.string());
        std::filesystem::rename(tmp, cached);
      }
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("hnswlib: ", e.what()));
    }
    return absl::OkStatus();
  }

  bool built_now() const override { return built_now_; }
  double build_seconds() const override { return build_seconds_; }

  absl::Status SetEf(int ef) override {
    index_->setEf(static_cast<size_t>(ef));
    return absl::OkStatus();
  }

  void Search(const float* query, int k, int64_t self) override {
    wanted_ = k;
    self_ = self;
    result_ = index_->searchKnn(query, static_cast<size_t>(self >= 0 ? k + 1 : k));
  }

  void Collect(std::vector<int64_t>* rows) override {
    // The queue pops the worst first.
    std::vector<int64_t> worst_first;
    while (!result_.empty()) {
      worst_first.push_back(static_cast<int64_t>(result_.top().second));
      result_.pop();
    }
    rows->clear();
    for (auto it = worst_first.rbegin(); it != worst_first.rend(); ++it) {
      if (*it == self_) continue;
      if (static_cast<int>(rows->size()) == wanted_) break;
      rows->push_back(*it);
    }
  }

 private:
  int m_;
  int ef_construction_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
  std::priority_queue<std::pair<float, hnswlib::labeltype>> result_;
  int wanted_ = 0;
  int64_t self_ = -1;
  bool built_now_ = false;
  double build_seconds_ = 0;
};

}  // namespace

std::unique_ptr<Engine> MakeHnswlibEngine(int m, int ef_construction) {
  return std::make_unique<HnswlibEngine>(m, ef_construction);
}

}  // namespace zhongcao::bench
