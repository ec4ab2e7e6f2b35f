#include "tools/evaluate/arm_credit.h"

#include <map>

#include "absl/container/flat_hash_set.h"

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

ranking::CreditReport CreditHeldOutItems(std::span<const v1::Exposure> exposures,
                                         std::span<const HeldOutRequest> requests) {
  absl::flat_hash_set<std::string> ours;
  std::vector<v1::Event> outcomes;
  for (const HeldOutRequest& r : requests) {
    ours.insert(r.request_id);
    for (const std::string& item : r.item_ids) {
      v1::Event& e = outcomes.emplace_back();
      e.set_user_id(r.user_id);
      e.set_item_id(item);
      e.set_request_id(r.request_id);
      e.set_type(v1::EVENT_TYPE_CLICK);
    }
  }
  std::vector<v1::Exposure> served;
  for (const v1::Exposure& e : exposures) {
    if (ours.contains(e.request_id())) served.push_back(e);
  }
  // Every held-out item weighs one, whatever its type.
  ranking::CreditOptions options;
  options.weights = {{v1::EVENT_TYPE_CLICK, 1.0}};
  ranking::CreditReport report = ranking::CreditOutcomes(served, outcomes, options);
  // A held-out item the feed did not serve is a miss, not an unmatched
  // outcome of a harness: HR already counts it.
  report.unmatched_outcomes = 0;
  return report;
}

}  // namespace zhongcao::evaluate
