#include "tools/train/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zhongcao::train {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

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
  std::string out = absl::StrCat(
      "{\n  \"command\": ", JsonString(r.command),
      ",\n  \"dataset\": ", JsonString(r.dataset),
      ",\n  \"input\": ", JsonString(r.input),
      ",\n  \"protocol\": ", JsonString(r.protocol),
      ",\n  \"held_out\": ", JsonString(r.held_out), ",\n  \"users\": ", r.users,
      ",\n  \"items\": ", r.items, ",\n  \"events\": ", r.events,
      ",\n  \"train_events\": ", r.train_events, ",\n  \"train_pairs\": ", r.train_pairs,
      ",\n  \"settings\": ", JsonString(r.settings), ",\n  \"methods\": [");
  for (size_t i = 0; i < r.methods.size(); ++i) {
    const MethodReport& m = r.methods[i];
    absl::StrAppend(
        &out, i == 0 ? "\n" : ",\n", "    {\"name\": ", JsonString(m.name),
        ", \"train_seconds\": ", absl::StrFormat("%.3f", m.train_seconds),
        ", \"evaluated_users\": ", m.evaluation.users,
        ", \"users_without_feedback\": ", m.evaluation.users_without_feedback);
    for (size_t q = 0; q < m.evaluation.ks.size(); ++q) {
      const int k = m.evaluation.ks[q];
      const RankingMetrics& at = m.evaluation.at[q];
      absl::StrAppendFormat(&out,
                            ", \"recall@%d\": %.6f, \"ndcg@%d\": %.6f, \"hr@%d\": %.6f",
                            k, at.recall, k, at.ndcg, k, at.hit);
    }
    absl::StrAppend(&out, "}");
  }
  absl::StrAppend(&out, "\n  ]\n}\n");
  return out;
}

}  // namespace zhongcao::train
