// What a system recommended to each test user, in the one shape that
// scoring reads: the server's answers and the baselines' alike.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zhongcao::evaluate {

struct UserList {
  int32_t user = 0;            // the log's user index
  std::vector<int32_t> items;  // the log's item indices, best first
  // "experiment/arm" for each experiment arm that served the list (the
  // server's answers only; see arm_credit.h).
  std::vector<std::string> arms;
};

}  // namespace zhongcao::evaluate
