// Which users' outcomes are credited to which experiment arm, in the two
// designs a harness runs: a split test, where each user's held-out outcome
// goes to every arm that served their feed (one arm per experiment per
// user), and an interleaved test, where each held-out item that the merged
// list served goes to the arm the list attributed it to (from the exposure
// log), and each request is won by the arm with more of them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ranking/experiment/interleaving_credit.h"
#include "tools/evaluate/ranked_lists.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::evaluate {

struct ArmGroup {
  std::string arm;              // "experiment/arm"
  std::vector<size_t> members;  // indices into the lists given, ascending
};

// One group per arm named in any list, sorted by name.
std::vector<ArmGroup> GroupByServedArm(std::span<const UserList> lists);

// One served request of the evaluation and its user's held-out items.
struct HeldOutRequest {
  std::string request_id;
  std::string user_id;
  std::vector<std::string> item_ids;
};

// Credits each held-out item as one outcome of the request that served the
// user's feed (whatever the user did with it, as HR counts it) to the arm
// the exposure attributed it to. Exposures of other requests are left out;
// a request with no held-out item served has no outcome, and a request
// without its exposure (dropped by a full log queue) counts nowhere.
ranking::CreditReport CreditHeldOutItems(std::span<const v1::Exposure> exposures,
                                         std::span<const HeldOutRequest> requests);

}  // namespace zhongcao::evaluate
