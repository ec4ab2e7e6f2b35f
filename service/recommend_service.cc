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

}  // namespace

absl::Status ValidateGetFeed(const v1::GetFeedRequest& request, const Limits& limits) {
  if (absl::Status s = ValidateId(request.user_id(), "user_id", limits); !s.ok())
    return s;
  if (absl::Status s = ValidateCount(request.count(), limits); !s.ok()) return s;
  if (request.page_token().size() > 64 * 1024) {
    return absl::InvalidArgumentError("page_token: longer than 64 KiB");
  }
  if (absl::Status s = ValidateKinds(request.kinds()); !s.ok()) return s;
  return ValidateContext(request.context(), "context", limits);
}

absl::Status ValidateRankProducts(const v1::RankProductsRequest& request,
                                  const Limits& limits) {
  if (absl::Status s = ValidateId(request.user_id(), "user_id", limits); !s.ok())
    return s;
  if (absl::Status s = ValidateBatchSize(request.product_ids_size(),
                                         limits.max_rank_products, "product_ids");
      !s.ok()) {
    return s;
  }
  absl::flat_hash_set<absl::string_view> unique;
  for (int i = 0; i < request.product_ids_size(); ++i) {
    const std::string field = absl::StrCat("product_ids[", i, "]");
    if (absl::Status s = ValidateId(request.product_ids(i), field, limits); !s.ok()) {
      return s;
    }
    if (!unique.insert(request.product_ids(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", request.product_ids(i), "\" is listed twice"));
    }
  }
  return ValidateContext(request.context(), "context", limits);
}

absl::Status ValidateGetRelated(const v1::GetRelatedRequest& request,
                                const Limits& limits) {
  if (absl::Status s = ValidateId(request.item_id(), "item_id", limits); !s.ok())
    return s;
  if (absl::Status s = ValidateCount(request.count(), limits); !s.ok()) return s;
  if (absl::Status s = ValidateKinds(request.kinds()); !s.ok()) return s;
  return ValidateContext(request.context(), "context", limits);
}

grpc::ServerUnaryReactor* RecommendService::GetFeed(grpc::CallbackServerContext* context,
                                                    const v1::GetFeedRequest* request,
                                                    v1::GetFeedResponse* response) {
  return AnswerUnary(context, response, ValidateGetFeed(*request, limits_),
                     [&] { return recommender_.GetFeed(*request); });
}

grpc::ServerUnaryReactor* RecommendService::RankProducts(
    grpc::CallbackServerContext* context, const v1::RankProductsRequest* request,
    v1::RankProductsResponse* response) {
  return AnswerUnary(context, response, ValidateRankProducts(*request, limits_),
                     [&] { return recommender_.RankProducts(*request); });
}

grpc::ServerUnaryReactor* RecommendService::GetRelated(
    grpc::CallbackServerContext* context, const v1::GetRelatedRequest* request,
    v1::GetRelatedResponse* response) {
  return AnswerUnary(context, response, ValidateGetRelated(*request, limits_),
                     [&] { return recommender_.GetRelated(*request); });
}

}  // namespace zhongcao::service
