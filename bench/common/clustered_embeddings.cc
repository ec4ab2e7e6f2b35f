#include "bench/common/clustered_embeddings.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>
#include <thread>

#include "absl/strings/str_cat.h"

namespace zhongcao::bench {
namespace {

// SplitMix64: tiny state, so a fresh stream per row costs nothing, and its
// output is fully specified, unlike std::*_distribution, so the vectors do
// not change with the standard library.
class Stream {
 public:
  explicit Stream(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Normal() {  // Box-Muller
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t a, uint64_t b) {
  Stream s(a ^ (b * 0xd1b54a32d192ed03ULL));
  return s.Next();
}

// Stream ids: parameters, rows and fresh points never share a stream.
constexpr uint64_t kParameterStream = 1;
constexpr uint64_t kRowStreams = 1ULL << 40;
constexpr uint64_t kFreshStreams = 2ULL << 40;

}  // namespace

std::string SpecKey(const EmbeddingSpec& s) {
  return absl::StrCat("gen", kEmbeddingGeneratorVersion, "-n", s.n, "-d", s.dim, "-l",
                      s.latent_dim, "-c", s.clusters, "-sp", s.cluster_spread, "-no",
                      s.noise, "-sk", s.cluster_skew, "-s", s.seed);
}

ClusteredEmbeddings::ClusteredEmbeddings(const EmbeddingSpec& spec) : spec_(spec) {
  spec_.dim = std::max(spec_.dim, 1);
  spec_.latent_dim = std::max(spec_.latent_dim, 1);
  spec_.clusters = std::max(spec_.clusters, 1);
  Stream rng(Mix(spec_.seed, kParameterStream));
  const int latent = spec_.latent_dim;
  centres_.resize(static_cast<size_t>(spec_.clusters) * latent);
  for (double& x : centres_) x = rng.Normal();
  cumulative_.resize(spec_.clusters);
  double total = 0;
  for (int c = 0; c < spec_.clusters; ++c) {
    total += std::exp(spec_.cluster_skew * rng.Normal());
    cumulative_[c] = total;
  }
  for (double& w : cumulative_) w /= total;
  // Entries N(0, 1/latent) keep the mapped norm close to the latent norm.
  map_.resize(static_cast<size_t>(spec_.dim) * latent);
  for (double& x : map_) x = rng.Normal() / std::sqrt(static_cast<double>(latent));
}

void ClusteredEmbeddings::Point(uint64_t stream, float* out) const {
  Stream rng(Mix(spec_.seed, stream));
  const int latent = spec_.latent_dim;
  const int dim = spec_.dim;
  const double u = rng.Uniform();
  const int c = static_cast<int>(std::min<size_t>(
      std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin(),
      cumulative_.size() - 1));
  std::vector<double> z(latent);
  const double* centre = centres_.data() + static_cast<size_t>(c) * latent;
  for (int l = 0; l < latent; ++l) z[l] = centre[l] + spec_.cluster_spread * rng.Normal();
  std::vector<double> x(dim);
  double norm = 0;
  for (int d = 0; d < dim; ++d) {
    const double* row = map_.data() + static_cast<size_t>(d) * latent;
    double v = 0;
    for (int l = 0; l < latent; ++l) v += row[l] * z[l];
    x[d] = v;
    norm += v * v;
  }
  norm = norm > 0 ? std::sqrt(norm) : 1.0;
  const double noise_sd = spec_.noise / std::sqrt(static_cast<double>(dim));
  double final_norm = 0;
  for (int d = 0; d < dim; ++d) {
    x[d] = x[d] / norm + noise_sd * rng.Normal();
    final_norm += x[d] * x[d];
  }
  final_norm = final_norm > 0 ? std::sqrt(final_norm) : 1.0;
  for (int d = 0; d < dim; ++d) out[d] = static_cast<float>(x[d] / final_norm);
}

void ClusteredEmbeddings::Item(int64_t i, float* out) const {
  Point(kRowStreams + static_cast<uint64_t>(i), out);
}

void ClusteredEmbeddings::Fresh(int64_t j, float* out) const {
  Point(kFreshStreams + static_cast<uint64_t>(j), out);
}

std::vector<float> ClusteredEmbeddings::Items(int threads) const {
  std::vector<float> out(static_cast<size_t>(spec_.n) * spec_.dim);
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<int64_t> next{0};
  constexpr int64_t kChunk = 4096;
  auto work = [&] {
    for (int64_t begin = next.fetch_add(kChunk); begin < spec_.n;
         begin = next.fetch_add(kChunk)) {
      const int64_t end = std::min(spec_.n, begin + kChunk);
      for (int64_t i = begin; i < end; ++i) {
        Item(i, out.data() + static_cast<size_t>(i) * spec_.dim);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace zhongcao::bench
