#include "service/recommend_service.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/unary_call.h"

namespace zhongcao::service {
namespace {

absl::Status ValidateCount(int count, const Limits& limits) {
  if (count <= 0 || count > limits.max_feed_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count: must be within 1..", limits.max_feed_count, ", got ", count));
  }
  return absl::OkStatus();
}

absl::Status ValidateKinds(const google::protobuf::RepeatedField<int>& kinds) {
  for (int i = 0; i < kinds.size(); ++i) {
    if (absl::Status s = ValidateKind(kinds[i], absl::StrCat("kinds[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateForcedArms(
    const google::protobuf::Map<std::string, std::string>& arms, const Limits& limits) {
  for (const auto& [experiment, arm] : arms) {
    const std::string field = absl::StrCat("force_arms[\"", experiment, "\"]");
    if (experiment.empty() || arm.empty() ||
        static_cast<int>(experiment.size() + arm.size()) > limits.max_text_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": experiment and arm names must be non-empty and short"));
    }
  }
  return absl::OkStatus();
}

// Ids that must be valid and distinct, e.g. product_ids or seed_user_ids.
absl::Status ValidateDistinctIds(
    const google::protobuf::RepeatedPtrField<std::string>& ids, absl::string_view name,
    const Limits& limits) {
  absl::flat_hash_set<absl::string_view> unique;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string field = absl::StrCat(name, "[", i, "]");
    if (absl::Status s = ValidateId(ids[i], field, limits); !s.ok()) return s;
    if (!unique.insert(ids[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", ids[i], "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

// The call's gRPC deadline on the steady clock; none: the far future.
std::chrono::steady_clock::time_point Deadline(
    const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return std::chrono::steady_clock::time_point::max();
  }
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             deadline - std::chrono::system_clock::now());
}

}  // namespace

absl::Status ValidateGetFeed(const v1::GetFeedRequest& request, const Limits& limits) {
  if (absl::Status s = ValidateId(request.user_id(), "user_id", limits); !s.ok())
    return s;
  if (absl::Status s = ValidateCount(request.count(), limits); !s.ok()) return s;
  if (request.page_token().size() > 64 * 1024) {
    return absl::InvalidArgumentError("page_token: longer than 64 KiB");
  }
  if (absl::Status s = ValidateKinds(request.kinds()); !s.ok()) return s;
  if (absl::Status s = ValidateForcedArms(request.force_arms(), limits); !s.ok())
    return s;
  return ValidateContext(request.context(), "context", limits);
}

absl::Status ValidateRankProducts(const v1::RankProductsRequest& request,
                                  const Limits& limits) {
  if (absl::Status s = ValidateId(request.user_id(), "user_id", limits); !s.ok())
    return s;
  if (request.product_ids_size() > limits.max_rank_products) {
    return absl::InvalidArgumentError(
        absl::StrCat("product_ids: has ", request.product_ids_size(),
                     " entries, at most ", limits.max_rank_products));
  }
  if (absl::Status s = ValidateDistinctIds(request.product_ids(), "product_ids", limits);
      !s.ok()) {
    return s;
  }
  if (request.product_ids().empty()) {
    // The products are found, so the caller says how many it wants.
    if (absl::Status s = ValidateCount(request.count(), limits); !s.ok()) return s;
  } else if (request.count() != 0 || !request.content_item_id().empty()) {
    return absl::InvalidArgumentError(
        "count: set count and content_item_id only when product_ids is empty");
  }
  if (!request.content_item_id().empty()) {
    if (absl::Status s = ValidateId(request.content_item_id(), "content_item_id", limits);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateForcedArms(request.force_arms(), limits); !s.ok())
    return s;
  return ValidateContext(request.context(), "context", limits);
}

absl::Status ValidateGetRelated(const v1::GetRelatedRequest& request,
                                const Limits& limits) {
  if (absl::Status s = ValidateId(request.item_id(), "item_id", limits); !s.ok())
    return s;
  if (absl::Status s = ValidateCount(request.count(), limits); !s.ok()) return s;
  if (absl::Status s = ValidateKinds(request.kinds()); !s.ok()) return s;
  if (!v1::RelatedSignal_IsValid(request.signal())) {
    return absl::InvalidArgumentError(
        absl::StrCat("signal: unknown related signal ", request.signal()));
  }
  return ValidateContext(request.context(), "context", limits);
}

absl::Status ValidateFindLookalikes(const v1::FindLookalikesRequest& request,
                                    const Limits& limits) {
  if (absl::Status s = ValidateBatchSize(request.seed_user_ids_size(), limits.max_batch,
                                         "seed_user_ids");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateDistinctIds(request.seed_user_ids(), "seed_user_ids", limits);
      !s.ok()) {
    return s;
  }
  if (request.count() <= 0 || request.count() > limits.max_lookalikes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count: must be within 1..", limits.max_lookalikes, ", got ", request.count()));
  }
  if (!request.region().empty()) {
    return ValidateId(request.region(), "region", limits);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RecommendService::GetFeed(grpc::CallbackServerContext* context,
                                                    const v1::GetFeedRequest* request,
                                                    v1::GetFeedResponse* response) {
  return AnswerUnaryOnPool(
      admission_, pool_, context, response, ValidateGetFeed(*request, limits_),
      [this, request, context](v1::GetFeedResponse* out) {
        return recommender_.GetFeed(*request, Deadline(*context), out);
      });
}

grpc::ServerUnaryReactor* RecommendService::RankProducts(
    grpc::CallbackServerContext* context, const v1::RankProductsRequest* request,
    v1::RankProductsResponse* response) {
  return AnswerUnaryOnPool(
      admission_, pool_, context, response, ValidateRankProducts(*request, limits_),
      [this, request] { return recommender_.RankProducts(*request); });
}

grpc::ServerUnaryReactor* RecommendService::GetRelated(
    grpc::CallbackServerContext* context, const v1::GetRelatedRequest* request,
    v1::GetRelatedResponse* response) {
  return AnswerUnaryOnPool(admission_, pool_, context, response,
                           ValidateGetRelated(*request, limits_),
                           [this, request] { return recommender_.GetRelated(*request); });
}

}  // namespace zhongcao::service

namespace zhongcao::service {

grpc::ServerUnaryReactor* RecommendService::FindLookalikes(
    grpc::CallbackServerContext* context, const v1::FindLookalikesRequest* request,
    v1::FindLookalikesResponse* response) {
  return AnswerUnaryOnPool(
      admission_, pool_, context, response, ValidateFindLookalikes(*request, limits_),
      [this, request] { return recommender_.FindLookalikes(*request); });
}

}  // namespace zhongcao::service
