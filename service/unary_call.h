// Finishes a callback-API unary call from a validation result and the
// logic's absl::StatusOr answer.
#pragma once

#include <chrono>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "service/concurrency_limit.h"
#include "service/status_conversion.h"

namespace zhongcao::service {

// Runs `call` (returning absl::StatusOr<Response>) when `valid` is OK, and
// finishes the call with its response or error.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* AnswerUnary(grpc::CallbackServerContext* context,
                                      Response* response, const absl::Status& valid,
                                      Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  // Past capacity, calls wait in gRPC's queue; one whose caller has given
  // up is answered at once instead of costing a full request nobody reads,
  // so throughput levels off under overload rather than collapsing.
  if (context->IsCancelled() || context->deadline() <= std::chrono::system_clock::now()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                 "the deadline passed before the call could start"));
    return reactor;
  }
  absl::StatusOr<Response> result = call();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

// As above, for a call that counts against `limit`: past it, the call is
// refused at once with RESOURCE_EXHAUSTED rather than queued.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* AnswerUnaryWithin(ConcurrencyLimit& limit,
                                            grpc::CallbackServerContext* context,
                                            Response* response, const absl::Status& valid,
                                            Call call) {
  if (!valid.ok()) return AnswerUnary(context, response, valid, call);
  std::optional<ConcurrencyLimit::Permit> permit = limit.TryAcquire();
  if (!permit.has_value()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("overloaded: ", limit.limit(),
                     " read calls are running (--max_concurrent_reads); retry with "
                     "backoff or on another replica")));
    return reactor;
  }
  return AnswerUnary(context, response, valid, call);
}

}  // namespace zhongcao::service
