// zhongcao.v1.RecommendService over gRPC: validates requests, asks the
// Recommender, and maps errors to status codes. Ranks nothing itself.
#pragma once

#include "ranking/recommender.h"
#include "service/arena_messages.h"
#include "service/concurrency_limit.h"
#include "service/validation.h"
#include "service/worker_pool.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao::service {

class RecommendService final : public v1::RecommendService::CallbackService {
 public:
  // Calls run on `read_threads` threads of the service's own; `admission`
  // counts those queued or running, and past its limit they are refused at
  // once with RESOURCE_EXHAUSTED (service/concurrency_limit.h). It outlives
  // the service; GetStatus reports how many it refused.
  RecommendService(const ranking::Recommender& recommender, Limits limits,
                   ConcurrencyLimit& admission, int read_threads)
      : recommender_(recommender),
        limits_(limits),
        admission_(admission),
        pool_(read_threads) {
    SetMessageAllocatorFor_GetFeed(&feed_messages_);
  }

  grpc::ServerUnaryReactor* GetFeed(grpc::CallbackServerContext* context,
                                    const v1::GetFeedRequest* request,
                                    v1::GetFeedResponse* response) override;
  grpc::ServerUnaryReactor* RankProducts(grpc::CallbackServerContext* context,
                                         const v1::RankProductsRequest* request,
                                         v1::RankProductsResponse* response) override;
  grpc::ServerUnaryReactor* GetRelated(grpc::CallbackServerContext* context,
                                       const v1::GetRelatedRequest* request,
                                       v1::GetRelatedResponse* response) override;
  grpc::ServerUnaryReactor* FindLookalikes(grpc::CallbackServerContext* context,
                                           const v1::FindLookalikesRequest* request,
                                           v1::FindLookalikesResponse* response) override;

 private:
  const ranking::Recommender& recommender_;
  Limits limits_;
  ConcurrencyLimit& admission_;
  ArenaMessageAllocator<v1::GetFeedRequest, v1::GetFeedResponse> feed_messages_;
  WorkerPool pool_;  // last: its threads stop (finishing queued calls) first
};

// Request checks, exposed for unit tests.
absl::Status ValidateGetFeed(const v1::GetFeedRequest& request, const Limits& limits);
absl::Status ValidateRankProducts(const v1::RankProductsRequest& request,
                                  const Limits& limits);
absl::Status ValidateGetRelated(const v1::GetRelatedRequest& request,
                                const Limits& limits);
absl::Status ValidateFindLookalikes(const v1::FindLookalikesRequest& request,
                                    const Limits& limits);

}  // namespace zhongcao::service
