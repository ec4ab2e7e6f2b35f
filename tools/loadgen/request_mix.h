// Which calls the load generator sends and in what proportion: the call
// types, a weighted mix parsed from "GetFeed:70,RankProducts:20,...".
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhongcao::loadgen {

// Reads of RecommendService, then the batched writes of IngestService.
enum class CallType : uint8_t {
  kGetFeed,
  kRankProducts,
  kGetRelated,
  kFindLookalikes,
  kUpsertItems,
  kRecordEvents,
};
inline constexpr int kCallTypeCount = 6;
inline constexpr std::array<CallType, kCallTypeCount> kAllCallTypes = {
    CallType::kGetFeed,        CallType::kRankProducts, CallType::kGetRelated,
    CallType::kFindLookalikes, CallType::kUpsertItems,  CallType::kRecordEvents};

// The RPC's name as in recommend.proto or ingest.proto, e.g. "GetFeed".
const char* CallTypeName(CallType type);

// Whether the call is an IngestService write, which carries a batch of rows.
bool IsIngest(CallType type);

class RequestMix {
 public:
  struct Entry {
    CallType type;
    double weight;  // > 0; entries given weight 0 are dropped
  };

  // Parses "Name:weight,Name:weight". Names are the RPC names (any case);
  // weights are non-negative numbers, relative to their sum, which must be
  // positive. A name given twice is an error, not a sum, so a typo in a long
  // mix does not go unnoticed.
  static absl::StatusOr<RequestMix> Parse(absl::string_view spec);

  // A call type drawn with probability weight / sum of weights.
  CallType Pick(std::mt19937_64& rng) const;

  bool Uses(CallType type) const;
  // The share of `type` in [0, 1].
  double Share(CallType type) const;
  const std::vector<Entry>& entries() const { return entries_; }
  // The canonical spec, e.g. "GetFeed:70,RankProducts:20,GetRelated:10".
  std::string ToString() const;

 private:
  std::vector<Entry> entries_;
  std::vector<double> cumulative_;  // running sums of the weights
};

}  // namespace zhongcao::loadgen
