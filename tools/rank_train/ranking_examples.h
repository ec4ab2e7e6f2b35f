// Ranking examples: what a learned ranker trains on. Each is one served
// candidate's ranking features and what the user did with it next, grouped
// by the request that served it (a query group: the model learns to order
// items within a request, never across requests).
//
// On disk, one JSON object a line (JSONL), written by RankingExampleJson():
//   {"request_id": "r1", "features": {"similarity": 0.3, ...}, "label": 2}
// `features` must hold exactly this build's RankingFeatureNames() (see
// ranking/scorer/ranking_features.h), so examples logged by another build
// are refused rather than silently misread. `label` is RankingLabel() of the
// user's outcomes on the item after the request. Lines of one request need
// not be adjacent. Blank lines are skipped.
#pragma once

#include <cstdint>
#include <istream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::rank_train {

// The graded relevance of what a user did with a served item: purchase 3;
// add to cart or save 2; click, like, share or comment 1; nothing beyond
// the impression (or dwell, follow) 0.
int RankingLabel(v1::EventType type);
// The strongest of several outcomes; 0 for none.
int RankingLabel(std::span<const v1::EventType> outcomes);
// Labels go up to this (XGBoost's NDCG gain is 2^label - 1).
inline constexpr int kMaxRankingLabel = 31;

struct RankingExample {
  std::string request_id;
  std::vector<float> features;  // RankingFeatureNames() order
  int label = 0;
};

// Examples grouped by request, each group's rows contiguous (as XGBoost
// wants them), groups in order of first appearance.
struct RankingDataset {
  std::vector<std::string> feature_names;
  std::vector<float> features;  // rows() x feature_names.size(), row-major
  std::vector<float> labels;
  std::vector<std::string> group_ids;
  std::vector<uint32_t> group_sizes;  // rows of each group, in row order

  size_t rows() const { return labels.size(); }
  size_t num_features() const { return feature_names.size(); }
};

// Groups in-memory rows. INVALID_ARGUMENT ("examples[3].features: ...") for
// an empty request id, a feature count other than NumRankingFeatures(), a
// non-finite feature or a label outside 0..kMaxRankingLabel.
absl::StatusOr<RankingDataset> BuildRankingDataset(std::vector<RankingExample> examples);

// Reads JSONL (above). Errors name `source`, the line and the field:
// "examples.jsonl:12: features.covisit: not a ranking feature of this build".
absl::StatusOr<RankingDataset> ReadRankingExamples(std::istream& in,
                                                   absl::string_view source);
absl::StatusOr<RankingDataset> ReadRankingExamplesFile(const std::string& path);

// One JSONL line (without the newline) that ReadRankingExamples reads back.
std::string RankingExampleJson(const RankingExample& example);

// `groups` requests of `per_group` candidates with uniform [0, 1) features,
// labelled 0..3 by the feature at `signal_feature` alone, except that a
// `noise` fraction of rows get a random label. Deterministic in `seed`. For
// tests and timing the trainer.
std::vector<RankingExample> SyntheticRankingExamples(int groups, int per_group,
                                                     int signal_feature, double noise,
                                                     uint64_t seed);

}  // namespace zhongcao::rank_train
