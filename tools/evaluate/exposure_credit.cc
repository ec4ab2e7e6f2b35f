#include "tools/evaluate/exposure_credit.h"

#include "absl/container/flat_hash_set.h"
#include "tools/evaluate/arm_credit.h"
#include "tools/log_reader/log_reader.h"

namespace zhongcao::evaluate {

absl::StatusOr<std::vector<InterleavedFeedCredit>> CreditInterleavedFeeds(
    const std::string& address, int64_t since_ms, std::span<const FeedAnswer> answers,
    std::span<const train::UserTargets> targets, const train::InteractionLog& log) {
  std::vector<HeldOutRequest> requests;
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < answers.size() && i < targets.size(); ++i) {
    if (answers[i].interleaved_experiment.empty()) continue;
    HeldOutRequest& r = requests.emplace_back();
    r.request_id = answers[i].request_id;
    r.user_id = log.users.Name(targets[i].user);
    for (int32_t item : targets[i].items) r.item_ids.push_back(log.items.Name(item));
    ids.insert(r.request_id);
  }
  if (requests.empty()) return std::vector<InterleavedFeedCredit>{};

  auto stub = v1::AdminService::NewStub(log_reader::LogChannel(address));
  log_reader::LogRange range;
  range.since_ms = since_ms;
  std::vector<v1::Exposure> exposures;
  absl::Status s = log_reader::ReadExposures(*stub, range, [&](v1::Exposure& e) {
    if (!ids.contains(e.request_id())) return absl::OkStatus();
    // Only the attribution is needed: the features would be most of the
    // memory of a large evaluation.
    for (v1::ExposedItem& item : *e.mutable_items()) {
      item.clear_features();
      item.clear_sources();
    }
    exposures.push_back(std::move(e));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;

  const ranking::CreditReport report = CreditHeldOutItems(exposures, requests);
  std::vector<InterleavedFeedCredit> out;
  for (const ranking::InterleavingCredit& c : report.interleaved) {
    InterleavedFeedCredit& r = out.emplace_back();
    r.credit = c;
    r.exposures = c.requests;
    int64_t asked = 0;
    for (size_t i = 0; i < answers.size(); ++i) {
      asked += answers[i].interleaved_experiment == c.experiment;
    }
    r.missing_exposures = asked - c.requests;
  }
  return out;
}

}  // namespace zhongcao::evaluate
