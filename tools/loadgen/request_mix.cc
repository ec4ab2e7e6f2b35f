#include "tools/loadgen/request_mix.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zhongcao::loadgen {

const char* CallTypeName(CallType type) {
  switch (type) {
    case CallType::kGetFeed:
      return "GetFeed";
    case CallType::kRankProducts:
      return "RankProducts";
    case CallType::kGetRelated:
      return "GetRelated";
    case CallType::kFindLookalikes:
      return "FindLookalikes";
    case CallType::kUpsertItems:
      return "UpsertItems";
    case CallType::kRecordEvents:
      return "RecordEvents";
  }
  return "?";
}

bool IsIngest(CallType type) {
  return type == CallType::kUpsertItems || type == CallType::kRecordEvents;
}

absl::StatusOr<RequestMix> RequestMix::Parse(absl::string_view spec) {
  RequestMix mix;
  bool seen[kCallTypeCount] = {};
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    const std::vector<absl::string_view> name_weight = absl::StrSplit(part, ':');
    if (name_weight.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("mix: \"", part, "\" is not Name:weight"));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(name_weight[0]);
    const CallType* found = nullptr;
    for (const CallType& type : kAllCallTypes) {
      if (absl::EqualsIgnoreCase(name, CallTypeName(type))) found = &type;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("mix: unknown call \"", name,
                       "\"; known: GetFeed, RankProducts, GetRelated, FindLookalikes, "
                       "UpsertItems, RecordEvents"));
    }
    double weight = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(name_weight[1]), &weight) ||
        !std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("mix: weight of ", name, " must be a non-negative number, got \"",
                       name_weight[1], "\""));
    }
    const int index = static_cast<int>(*found);
    if (seen[index]) {
      return absl::InvalidArgumentError(
          absl::StrCat("mix: ", CallTypeName(*found), " is given twice"));
    }
    seen[index] = true;
    if (weight > 0) mix.entries_.push_back({*found, weight});
  }
  if (mix.entries_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mix: \"", spec, "\" has no call with a positive weight"));
  }
  double sum = 0;
  for (const Entry& entry : mix.entries_) {
    sum += entry.weight;
    mix.cumulative_.push_back(sum);
  }
  return mix;
}

CallType RequestMix::Pick(std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> uniform(0.0, cumulative_.back());
  const double x = uniform(rng);
  for (size_t i = 0; i < cumulative_.size(); ++i) {
    if (x < cumulative_[i]) return entries_[i].type;
  }
  // x can equal the total through rounding.
  return entries_.back().type;
}

bool RequestMix::Uses(CallType type) const { return Share(type) > 0; }

double RequestMix::Share(CallType type) const {
  for (const Entry& entry : entries_) {
    if (entry.type == type) return entry.weight / cumulative_.back();
  }
  return 0;
}

std::string RequestMix::ToString() const {
  return absl::StrJoin(entries_, ",", [](std::string* out, const Entry& entry) {
    absl::StrAppend(out, CallTypeName(entry.type), ":", entry.weight);
  });
}

}  // namespace zhongcao::loadgen
