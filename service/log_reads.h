// Reads of the exposure and outcome logs for AdminService: request checks
// and page tokens. A token is the last row key read, web-safe base64; one
// that is malformed or outside the request's range is refused.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/validation.h"
#include "store/log_query.h"
#include "zhongcao/v1/admin.pb.h"

namespace zhongcao::service {

inline constexpr int kDefaultLogLimit = 100;
inline constexpr int kMaxLogLimit = 1000;
// A page stops after the row that reaches this many bytes, so a response
// must stay below gRPC's default 4 MiB receive limit with room for that
// row (an exposure of 100 items is about 20 KB): a client that keeps the
// default still reads every page.
inline constexpr size_t kLogPageBytes = 3 << 20;

// INVALID_ARGUMENT naming the field: since_ms, until_ms, user_id, limit or
// page_token.
absl::StatusOr<store::LogQuery> LogQueryFromRequest(const v1::ReadLogRequest& request,
                                                    const Limits& limits);
// "" for "" (the range is exhausted).
std::string LogPageToken(absl::string_view resume_after);

}  // namespace zhongcao::service
