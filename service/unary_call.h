// Finishes a callback-API unary call from a validation result and the
// logic's absl::StatusOr answer.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "service/concurrency_limit.h"
#include "service/status_conversion.h"
#include "service/worker_pool.h"

namespace zhongcao::service {

// Runs `call` and finishes the call with its response or error: `call`
// returns absl::StatusOr<Response>, or takes the Response* to fill and
// returns absl::Status. A call whose caller has given up meanwhile is
// answered at once instead of costing a full request nobody reads.
// `before_finish` runs just before the answer goes out (a caller that
// sends its next call on receipt must find the permit of this one freed).
template <typename Response, typename Call, typename BeforeFinish = void (*)()>
void RunAndFinish(
    grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
    Response* response, Call& call, BeforeFinish before_finish = [] {}) {
  if (context->IsCancelled() || context->deadline() <= std::chrono::system_clock::now()) {
    before_finish();
    reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                 "the deadline passed before the call could start"));
    return;
  }
  absl::Status status;
  if constexpr (std::is_invocable_v<Call&, Response*>) {
    // The call fills the response in place (it may be on the call's arena).
    status = call(response);
  } else {
    absl::StatusOr<Response> result = call();
    if (result.ok()) *response = *std::move(result);
    status = result.status();
  }
  before_finish();
  reactor->Finish(ToGrpcStatus(status));
}

// Runs `call` (see RunAndFinish) on this thread when `valid` is OK, and
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
  RunAndFinish(context, reactor, response, call);
  return reactor;
}

// As above, but `call` runs on `pool` and counts against `limit` from now
// until it is answered: past the limit, the call is refused at once with
// RESOURCE_EXHAUSTED. `call` must capture nothing from the caller's stack:
// it runs after this returns.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* AnswerUnaryOnPool(ConcurrencyLimit& limit, WorkerPool& pool,
                                            grpc::CallbackServerContext* context,
                                            Response* response, const absl::Status& valid,
                                            Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  std::optional<ConcurrencyLimit::Permit> permit = limit.TryAcquire();
  if (!permit.has_value()) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("overloaded: ", limit.limit(),
                     " read calls are queued or running (--max_concurrent_reads); retry "
                     "with backoff or on another replica")));
    return reactor;
  }
  // std::function wants a copyable task; the permit is shared to move in.
  auto held = std::make_shared<ConcurrencyLimit::Permit>(std::move(*permit));
  pool.Post([context, reactor, response, call = std::move(call), held]() mutable {
    RunAndFinish(context, reactor, response, call, [&held] { held.reset(); });
  });
  return reactor;
}

}  // namespace zhongcao::service
