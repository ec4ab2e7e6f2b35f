#include "service/log_reads.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/log_keys.h"

namespace zhongcao::service {

absl::StatusOr<store::LogQuery> LogQueryFromRequest(const v1::ReadLogRequest& request,
                                                    const Limits& limits) {
  store::LogQuery query;
  if (request.since_ms() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("since_ms: must be >= 0, got ", request.since_ms()));
  }
  query.since_ms = request.since_ms();
  if (request.until_ms() != 0) {
    if (request.until_ms() <= request.since_ms()) {
      return absl::InvalidArgumentError(
          absl::StrCat("until_ms: must be after since_ms (", request.since_ms(),
                       ") or 0 for no end, got ", request.until_ms()));
    }
    query.until_ms = request.until_ms();
  }
  if (!request.user_id().empty()) {
    if (absl::Status s = ValidateId(request.user_id(), "user_id", limits); !s.ok()) {
      return s;
    }
    query.user_id = request.user_id();
  }
  if (request.limit() < 0 || request.limit() > kMaxLogLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: must be within 1..", kMaxLogLimit, " (0: ", kDefaultLogLimit,
                     "), got ", request.limit()));
  }
  query.limit = request.limit() == 0 ? kDefaultLogLimit : request.limit();
  query.max_bytes = kLogPageBytes;
  if (!request.page_token().empty()) {
    std::string key;
    int64_t at_ms = 0;
    if (request.page_token().size() > 4096 ||
        !absl::WebSafeBase64Unescape(request.page_token(), &key) ||
        !store::DecodeLogTime(key, &at_ms)) {
      return absl::InvalidArgumentError("page_token: not a token of this log");
    }
    if (at_ms < query.since_ms || at_ms >= query.until_ms) {
      return absl::InvalidArgumentError(
          "page_token: from another time range; pass the same since_ms and until_ms");
    }
    query.resume_after = std::move(key);
  }
  return query;
}

std::string LogPageToken(absl::string_view resume_after) {
  if (resume_after.empty()) return "";
  return absl::WebSafeBase64Escape(resume_after);
}

}  // namespace zhongcao::service
