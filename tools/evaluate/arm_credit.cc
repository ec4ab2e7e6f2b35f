#include "tools/evaluate/arm_credit.h"

#include <map>

namespace zhongcao::evaluate {

std::vector<ArmGroup> GroupByServedArm(std::span<const UserList> lists) {
  std::map<std::string, std::vector<size_t>> by_arm;
  for (size_t i = 0; i < lists.size(); ++i) {
    for (const std::string& arm : lists[i].arms) {
      std::vector<size_t>& members = by_arm[arm];
      // A list naming an arm twice still counts its user once.
      if (members.empty() || members.back() != i) members.push_back(i);
    }
  }
  std::vector<ArmGroup> out;
  for (auto& [arm, members] : by_arm) out.push_back({arm, std::move(members)});
  return out;
}

}  // namespace zhongcao::evaluate
