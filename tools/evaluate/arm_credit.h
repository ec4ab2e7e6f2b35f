// Which users' outcomes are credited to which experiment arm. Today each
// user's held-out outcome goes to every arm that served their feed (a split
// test: one arm per experiment per user). Crediting from interleaved
// exposures (per item, from the exposure log) belongs here too, beside it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tools/evaluate/ranked_lists.h"

namespace zhongcao::evaluate {

struct ArmGroup {
  std::string arm;              // "experiment/arm"
  std::vector<size_t> members;  // indices into the lists given, ascending
};

// One group per arm named in any list, sorted by name.
std::vector<ArmGroup> GroupByServedArm(std::span<const UserList> lists);

}  // namespace zhongcao::evaluate
