#include "tools/evaluate/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace zhongcao::evaluate {
namespace {

std::string WithInterval(const Interval& i) {
  return absl::StrFormat("%.4f ±%.4f", i.value, (i.high - i.low) / 2);
}

nlohmann::json IntervalJson(const Interval& i) {
  return {{"value", i.value}, {"ci95", {i.low, i.high}}, {"users", i.n}};
}

// One paragraph per interleaved experiment and pass.
std::string InterleavedText(const EvaluationResult& r) {
  std::string out;
  for (const EvaluationResult::Interleaved& i : r.interleaved) {
    const ranking::InterleavingCredit& c = i.credit.credit;
    absl::StrAppendFormat(
        &out,
        "\ninterleaved %s (%s): %d requests read back from the exposure log (%d "
        "missing), %d served a held-out item\n"
        "  %s wins %d, %s wins %d, ties %d; sign test p = %.3g; preference for %s "
        "%.3f [%.3f, %.3f]\n",
        c.experiment, i.system, c.requests, i.credit.missing_exposures,
        c.requests_with_outcome, c.arm_a, c.wins_a, c.arm_b.empty() ? "(none)" : c.arm_b,
        c.wins_b, c.ties, c.p_value, c.arm_a, c.preference_a, c.ci95_low, c.ci95_high);
  }
  return out;
}

std::string RankerText(const EvaluationResult& r) {
  if (!r.ranker.has_value()) return "";
  const RankerValidationResult& k = *r.ranker;
  return absl::StrFormat(
      "\nranker: %d validation feeds of %d items; %d exposures read back, %d served "
      "the user's validation item: %d examples (%d positive)\n"
      "  LambdaMART on %d requests, judged on %d held-out ones: NDCG@%d of the served "
      "lists' order model %.4f, weighted scorer %.4f; boosting %.1f s\n"
      "  model %s (%s)\n",
      k.validation_users, r.ranker_feed_count, k.join.exposures, k.join.requests,
      k.join.examples, k.join.positive_examples, k.report.train_groups,
      k.report.holdout_groups_judged, k.ndcg_at, k.report.model_ndcg,
      k.report.weighted_ndcg, k.report.train_seconds, k.model_path.string(),
      k.report.model_version);
}

}  // namespace

std::string FormatTable(const EvaluationResult& r) {
  std::string out = absl::StrFormat(
      "dataset %s (%s): %d users, %d items, %d events\n"
      "protocol %s: %s\n"
      "split: %d training events, %d held-out %s events of %d users; %d users "
      "evaluated\n",
      r.dataset, r.source, r.users, r.items, r.events, r.protocol, r.protocol_text,
      r.train_events, r.test_events, r.held_out, r.test_users, r.evaluated_users);
  for (const auto& [name, value] : r.settings) {
    absl::StrAppend(&out, name, ": ", value, "\n");
  }
  if (!r.server_config.empty()) {
    absl::StrAppendFormat(
        &out,
        "loaded %d items (%d with vectors), %d users (%d with vectors), %d events\n"
        "server answers: %d with a source left out, %d shorter than %d, %d training "
        "items served\n",
        r.load.items, r.load.item_vectors, r.load.users, r.load.user_vectors,
        r.load.events, r.degraded_responses, r.short_responses, r.feed_count,
        r.seen_items_served);
  }
  out += "time:";
  for (const auto& [phase, seconds] : r.phase_seconds) {
    absl::StrAppendFormat(&out, " %s %.1f s;", phase, seconds);
  }
  out += "\n\n";
  // Header, then one row per system/arm; ± is the 95% interval's half width.
  std::string header = absl::StrFormat("%-16s %-24s %7s", "system", "arm", "users");
  for (int k : r.ks) {
    absl::StrAppendFormat(&header, " | %-16s %-16s %-16s %-8s %-8s",
                          absl::StrCat("HR@", k), absl::StrCat("recall@", k),
                          absl::StrCat("NDCG@", k), absl::StrCat("cov@", k),
                          absl::StrCat("div@", k));
  }
  absl::StrAppend(&out, header, "\n", std::string(header.size(), '-'), "\n");
  for (const SystemResult& s : r.systems) {
    const int64_t users = s.metrics.empty() ? 0 : s.metrics.front().hit.n;
    absl::StrAppendFormat(&out, "%-16s %-24s %7d", s.system, s.arm, users);
    for (const MetricsAt& m : s.metrics) {
      absl::StrAppendFormat(&out, " | %-16s %-16s %-16s %-8.4f %-8.4f",
                            WithInterval(m.hit), WithInterval(m.recall),
                            WithInterval(m.ndcg), m.coverage.value, m.diversity.value);
    }
    out += "\n";
  }
  out +=
      "\n± is half the 95% interval (normal approximation over users; coverage's "
      "interval, in the JSON, is a bootstrap over users). cov: distinct items "
      "recommended / catalog items. div: mean pairwise 1 - cosine of the listed "
      "items' trained vectors.\n";
  out += InterleavedText(r);
  out += RankerText(r);
  return out;
}

std::string FormatJson(const EvaluationResult& r, const std::string& command) {
  nlohmann::json j;
  j["command"] = command;
  j["dataset"] = r.dataset;
  j["source"] = r.source;
  j["protocol"] = {
      {"name", r.protocol}, {"text", r.protocol_text}, {"held_out", r.held_out}};
  j["time_unit"] = r.time_unit;
  j["log"] = {{"users", r.users}, {"items", r.items}, {"events", r.events}};
  j["split"] = {{"train_events", r.train_events},
                {"test_events", r.test_events},
                {"test_users", r.test_users},
                {"evaluated_users", r.evaluated_users}};
  j["ks"] = r.ks;
  j["feed_count"] = r.feed_count;
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [name, value] : r.settings) settings[name] = value;
  j["settings"] = settings;
  j["server_config"] = r.server_config;
  j["load"] = {{"items", r.load.items},
               {"item_vectors", r.load.item_vectors},
               {"users", r.load.users},
               {"user_vectors", r.load.user_vectors},
               {"events", r.load.events}};
  j["server_answers"] = {{"degraded", r.degraded_responses},
                         {"short", r.short_responses},
                         {"training_items_served", r.seen_items_served}};
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [phase, seconds] : r.phase_seconds) phases[phase] = seconds;
  j["phase_seconds"] = phases;
  nlohmann::json systems = nlohmann::json::array();
  for (const SystemResult& s : r.systems) {
    nlohmann::json at = nlohmann::json::object();
    for (const MetricsAt& m : s.metrics) {
      at[std::to_string(m.k)] = {{"hr", IntervalJson(m.hit)},
                                 {"recall", IntervalJson(m.recall)},
                                 {"ndcg", IntervalJson(m.ndcg)},
                                 {"coverage", IntervalJson(m.coverage)},
                                 {"diversity", IntervalJson(m.diversity)}};
    }
    systems.push_back({{"system", s.system}, {"arm", s.arm}, {"at", at}});
  }
  j["systems"] = systems;
  nlohmann::json interleaved = nlohmann::json::array();
  for (const EvaluationResult::Interleaved& i : r.interleaved) {
    const ranking::InterleavingCredit& c = i.credit.credit;
    interleaved.push_back({{"system", i.system},
                           {"experiment", c.experiment},
                           {"arm_a", c.arm_a},
                           {"arm_b", c.arm_b},
                           {"requests", c.requests},
                           {"missing_exposures", i.credit.missing_exposures},
                           {"requests_with_held_out_item", c.requests_with_outcome},
                           {"wins_a", c.wins_a},
                           {"wins_b", c.wins_b},
                           {"ties", c.ties},
                           {"sign_test_p", c.p_value},
                           {"preference_a", c.preference_a},
                           {"preference_a_ci95", {c.ci95_low, c.ci95_high}}});
  }
  j["interleaved"] = interleaved;
  if (r.ranker.has_value()) {
    const RankerValidationResult& k = *r.ranker;
    j["ranker"] = {{"validation_users", k.validation_users},
                   {"feed_count", r.ranker_feed_count},
                   {"exposures", k.join.exposures},
                   {"requests_with_validation_item", k.join.requests},
                   {"examples", k.join.examples},
                   {"positive_examples", k.join.positive_examples},
                   {"train_requests", k.report.train_groups},
                   {"holdout_requests", k.report.holdout_groups_judged},
                   {"ndcg_at", k.ndcg_at},
                   {"holdout_ndcg_model", k.report.model_ndcg},
                   {"holdout_ndcg_weighted", k.report.weighted_ndcg},
                   {"boosting_seconds", k.report.train_seconds},
                   {"model", k.model_path.string()},
                   {"model_version", k.report.model_version}};
  }
  return j.dump(2) + "\n";
}

}  // namespace zhongcao::evaluate
