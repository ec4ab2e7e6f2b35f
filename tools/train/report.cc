#include "tools/train/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace zhongcao::train {
std::string FormatTable(const EvaluationReport& r) {
  std::string out = absl::StrFormat(
      "dataset %s (%s): %d users, %d items, %d events\n"
      "protocol: %s\n"
      "held out: %s; training on %d events (%d user-item pairs)\n"
      "settings: %s\n",
      r.dataset, r.input, r.users, r.items, r.events, r.protocol, r.held_out,
      r.train_events, r.train_pairs, r.settings);
  if (r.methods.empty()) return out;
  const Evaluation& first = r.methods.front().evaluation;
  absl::StrAppendFormat(&out,
                        "evaluated users: %d (left out, no training feedback: %d)\n\n",
                        first.users, first.users_without_feedback);
  absl::StrAppendFormat(&out, "%-12s", "method");
  for (int k : first.ks) {
    absl::StrAppendFormat(&out, " %10s %10s %10s", absl::StrCat("recall@", k),
                          absl::StrCat("ndcg@", k), absl::StrCat("hr@", k));
  }
  absl::StrAppend(&out, "   train s\n");
  for (const MethodReport& m : r.methods) {
    absl::StrAppendFormat(&out, "%-12s", m.name);
    for (size_t q = 0; q < m.evaluation.ks.size(); ++q) {
      const RankingMetrics& at = m.evaluation.at[q];
      absl::StrAppendFormat(&out, " %10.4f %10.4f %10.4f", at.recall, at.ndcg, at.hit);
    }
    absl::StrAppendFormat(&out, " %9.2f\n", m.train_seconds);
  }
  return out;
}

std::string FormatJson(const EvaluationReport& r) {
  nlohmann::ordered_json methods = nlohmann::ordered_json::array();
  for (const MethodReport& m : r.methods) {
    nlohmann::ordered_json method = {
        {"name", m.name},
        {"train_seconds", m.train_seconds},
        {"evaluated_users", m.evaluation.users},
        {"users_without_feedback", m.evaluation.users_without_feedback}};
    for (size_t q = 0; q < m.evaluation.ks.size(); ++q) {
      const int k = m.evaluation.ks[q];
      const RankingMetrics& at = m.evaluation.at[q];
      method[absl::StrCat("recall@", k)] = at.recall;
      method[absl::StrCat("ndcg@", k)] = at.ndcg;
      method[absl::StrCat("hr@", k)] = at.hit;
    }
    methods.push_back(std::move(method));
  }
  const nlohmann::ordered_json document = {{"command", r.command},
                                           {"dataset", r.dataset},
                                           {"input", r.input},
                                           {"protocol", r.protocol},
                                           {"held_out", r.held_out},
                                           {"users", r.users},
                                           {"items", r.items},
                                           {"events", r.events},
                                           {"train_events", r.train_events},
                                           {"train_pairs", r.train_pairs},
                                           {"settings", r.settings},
                                           {"methods", std::move(methods)}};
  return document.dump(2) + "\n";
}

}  // namespace zhongcao::train
