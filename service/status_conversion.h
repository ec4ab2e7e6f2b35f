// absl::Status to grpc::Status, keeping the code and the message.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace zhongcao::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace zhongcao::service
