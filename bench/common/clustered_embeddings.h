// Synthetic item embeddings shaped like trained ones, for the benchmarks:
// clustered, with a low intrinsic dimension, unit norm.
//
// Isotropic Gaussian vectors make every ANN index look bad (all neighbours
// are nearly equidistant), so they say nothing about serving. Trained
// embeddings instead lie near a low-dimensional manifold with topics of
// uneven size. Here a point is drawn from a Gaussian mixture of `clusters`
// components in `latent_dim` dimensions (component sizes log-normal), mapped
// to `dim` by one fixed random linear map, given a little isotropic noise and
// normalised.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zhongcao::bench {

struct EmbeddingSpec {
  int64_t n = 100000;
  int dim = 64;
  int latent_dim = 16;
  int clusters = 1000;
  // Standard deviation of a point around its cluster centre, in units of
  // the centres' own standard deviation.
  double cluster_spread = 0.75;
  // Norm of the isotropic noise added to the unit signal before the final
  // normalisation.
  double noise = 0.3;
  // Sigma of the log-normal cluster weights; 0 gives equal clusters.
  double cluster_skew = 1.0;
  uint64_t seed = 42;
};

// Bumped whenever one spec starts giving other vectors, so that cached
// indexes and ground truth keyed by SpecKey() are never reused wrongly.
inline constexpr int kEmbeddingGeneratorVersion = 1;

// A file-name-safe key naming the spec and the generator version.
std::string SpecKey(const EmbeddingSpec& spec);

class ClusteredEmbeddings {
 public:
  explicit ClusteredEmbeddings(const EmbeddingSpec& spec);

  const EmbeddingSpec& spec() const { return spec_; }

  // Row `i` of the set, spec.dim floats. Depends only on the spec and `i`
  // (each row has its own random stream), so rows can be made in any order
  // on any number of threads and always come out the same.
  void Item(int64_t i, float* out) const;
  // Rows [0, spec.n) row-major, made on `threads` threads (0: all cores).
  std::vector<float> Items(int threads = 0) const;

  // Point `j` of a stream disjoint from the rows: drawn from the same
  // mixture but not in the set, like a user or session vector.
  void Fresh(int64_t j, float* out) const;

 private:
  void Point(uint64_t stream, float* out) const;

  EmbeddingSpec spec_;
  std::vector<double> centres_;     // clusters x latent_dim
  std::vector<double> cumulative_;  // cluster weights, cumulative, last = 1
  std::vector<double> map_;         // dim x latent_dim
};

}  // namespace zhongcao::bench
