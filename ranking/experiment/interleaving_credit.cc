#include "ranking/experiment/interleaving_credit.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"

namespace zhongcao::ranking {
namespace {

constexpr double kZ95 = 1.959963984540054;

std::string JoinKey(const std::string& request_id, const std::string& item_id) {
  return absl::StrCat(request_id, absl::string_view("\0", 1), item_id);
}

struct SplitSums {
  SplitArmCredit credit;
  double sum_squares = 0;  // of per-request outcome weight
};

}  // namespace

absl::flat_hash_map<int, double> CreditOptions::DefaultOutcomeWeights() {
  absl::flat_hash_map<int, double> weights;
  for (int type = v1::EventType_MIN; type <= v1::EventType_MAX; ++type) {
    if (!v1::EventType_IsValid(type) || type == v1::EVENT_TYPE_UNSPECIFIED ||
        type == v1::EVENT_TYPE_IMPRESSION) {
      continue;
    }
    weights[type] = 1.0;
  }
  return weights;
}

double SignTestPValue(int64_t k, int64_t n) {
  if (n <= 0) return 1;
  const int64_t tail = std::min(k, n - k);
  // P(X <= tail) summed in log space so that large n neither under- nor
  // overflows.
  const double log_half_n = n * std::log(0.5);
  const double log_n_factorial = std::lgamma(static_cast<double>(n) + 1);
  double sum = 0;
  for (int64_t i = 0; i <= tail; ++i) {
    const double log_choose = log_n_factorial - std::lgamma(static_cast<double>(i) + 1) -
                              std::lgamma(static_cast<double>(n - i) + 1);
    sum += std::exp(log_choose + log_half_n);
  }
  return std::min(1.0, 2 * sum);
}

std::pair<double, double> Wilson95(int64_t k, int64_t n) {
  if (n <= 0) return {0.0, 1.0};
  const double p = static_cast<double>(k) / n;
  const double z2 = kZ95 * kZ95;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double half =
      kZ95 * std::sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

CreditReport CreditOutcomes(std::span<const v1::Exposure> exposures,
                            std::span<const v1::Event> outcomes,
                            const CreditOptions& options) {
  // Outcome weight by (request id, item id), and which pairs were served.
  absl::flat_hash_map<std::string, double> credit;
  for (const v1::Event& event : outcomes) {
    if (event.request_id().empty()) continue;
    auto weight = options.weights.find(event.type());
    if (weight == options.weights.end() || weight->second == 0) continue;
    credit[JoinKey(event.request_id(), event.item_id())] += weight->second;
  }
  absl::flat_hash_map<std::string, bool> served;
  for (const v1::Exposure& exposure : exposures) {
    for (const v1::ExposedItem& item : exposure.items()) {
      served[JoinKey(exposure.request_id(), item.item_id())] = true;
    }
  }

  CreditReport report;
  for (const v1::Event& event : outcomes) {
    if (event.request_id().empty()) continue;
    if (!served.contains(JoinKey(event.request_id(), event.item_id()))) {
      ++report.unmatched_outcomes;
    }
  }

  // Per interleaved experiment: each request's credit per arm name.
  std::map<std::string, std::vector<std::map<std::string, double>>> by_experiment;
  std::map<std::string, std::map<std::string, bool>> arm_names;
  std::map<std::pair<std::string, std::string>, SplitSums> split;
  for (const v1::Exposure& exposure : exposures) {
    double total = 0;
    std::map<std::string, double> per_arm;
    for (const v1::ExposedItem& item : exposure.items()) {
      auto it = credit.find(JoinKey(exposure.request_id(), item.item_id()));
      const double c = it == credit.end() ? 0 : it->second;
      total += c;
      if (!exposure.interleaved_experiment().empty() && !item.arm().empty()) {
        per_arm[item.arm()] += c;
        arm_names[exposure.interleaved_experiment()][item.arm()] = true;
      }
    }
    if (!exposure.interleaved_experiment().empty()) {
      by_experiment[exposure.interleaved_experiment()].push_back(std::move(per_arm));
    }
    for (const auto& [experiment, arm] : exposure.arms()) {
      if (arm.empty()) continue;  // the interleaved experiment
      SplitSums& sums = split[{experiment, arm}];
      sums.credit.experiment = experiment;
      sums.credit.arm = arm;
      ++sums.credit.requests;
      sums.credit.items += exposure.items_size();
      sums.credit.outcomes += total;
      sums.credit.requests_with_outcome += total > 0;
      sums.sum_squares += total * total;
    }
  }

  for (const auto& [experiment, requests] : by_experiment) {
    InterleavingCredit result;
    result.experiment = experiment;
    auto names = arm_names[experiment].begin();
    if (names != arm_names[experiment].end()) result.arm_a = (names++)->first;
    if (names != arm_names[experiment].end()) result.arm_b = names->first;
    for (const std::map<std::string, double>& per_arm : requests) {
      ++result.requests;
      auto value = [&](const std::string& arm) {
        auto it = per_arm.find(arm);
        return it == per_arm.end() ? 0.0 : it->second;
      };
      const double a = value(result.arm_a);
      const double b = result.arm_b.empty() ? 0.0 : value(result.arm_b);
      if (a == 0 && b == 0) continue;
      ++result.requests_with_outcome;
      if (a > b) {
        ++result.wins_a;
      } else if (b > a) {
        ++result.wins_b;
      } else {
        ++result.ties;
      }
    }
    const int64_t decided = result.wins_a + result.wins_b;
    result.p_value = SignTestPValue(result.wins_a, decided);
    if (decided > 0) result.preference_a = static_cast<double>(result.wins_a) / decided;
    std::tie(result.ci95_low, result.ci95_high) = Wilson95(result.wins_a, decided);
    report.interleaved.push_back(std::move(result));
  }

  for (auto& [key, sums] : split) {
    SplitArmCredit& c = sums.credit;
    const double n = static_cast<double>(c.requests);
    c.per_request = c.outcomes / n;
    const double variance =
        n > 1 ? std::max(0.0,
                         (sums.sum_squares - n * c.per_request * c.per_request) / (n - 1))
              : 0.0;
    const double half = kZ95 * std::sqrt(variance / n);
    c.ci95_low = c.per_request - half;
    c.ci95_high = c.per_request + half;
    report.split.push_back(std::move(c));
  }
  return report;
}

}  // namespace zhongcao::ranking
