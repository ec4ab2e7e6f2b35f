// A marketing campaign (11.11, 618, Double 12): items carrying its tag are
// sourced and boosted while its time window is open.
#pragma once

#include <cstdint>
#include <string>

namespace zhongcao::ranking {

struct Campaign {
  std::string name;  // e.g. "double11"
  std::string tag;   // items with this tag take part, e.g. "1111"
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // exclusive
  float boost = 0.3f;  // added to a tagged item's score
  // The boost is the request's rerank.campaign_boost setting (so an
  // experiment arm can vary it) rather than `boost`.
  bool boost_from_settings = false;
  bool OpenAt(int64_t ms) const { return start_ms <= ms && ms < end_ms; }
};

}  // namespace zhongcao::ranking
