// The exposure log's record of one served response: who was served what,
// where on the page, under which arms, with the features it was scored on.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ranking/candidate.h"
#include "ranking/experiment/experiments.h"
#include "store/records.pb.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::ranking {

struct ServedResponse {
  std::string method;  // "GetFeed", "RankProducts"
  std::string request_id;
  std::string user_id;
  int64_t request_now_ms = 0;
  int page = 0;
  v1::Surface surface = v1::SURFACE_UNSPECIFIED;
  std::string index_version;
  const std::vector<ArmChoice>* arms = nullptr;
  std::string interleaved_experiment;  // empty when none
};

// `items` in page order; `item_arms` the arm of each (empty strings, or an
// empty vector, outside interleaving). Logged at the server's clock.
store::ExposureRow MakeExposure(const ServedResponse& response,
                                std::span<const Candidate> items,
                                std::span<const std::string> item_arms);

}  // namespace zhongcao::ranking
