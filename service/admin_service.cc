#include "service/admin_service.h"

#include <chrono>

#include "service/log_reads.h"
#include "service/status_conversion.h"
#include "service/unary_call.h"

namespace zhongcao::service {
namespace {

void Fill(const VersionInfo& info, v1::IndexVersion* out) {
  out->set_name(info.name);
  out->set_label(info.label);
  out->set_vectors(info.vectors);
  out->set_growing_vectors(info.growing);
  out->set_watermark(info.watermark);
  out->set_index_type(info.factory);
  out->set_origin(info.origin);
  out->set_serving_since_ms(info.serving_since_ms);
}

void Fill(const ranking::RankerModelInfo& info, v1::RankerModel* out) {
  out->set_path(info.path);
  out->set_version(info.version);
  out->set_label(info.label);
  for (const std::string& feature : info.features) out->add_features(feature);
  out->set_feature_version(info.feature_version);
  out->set_objective(info.objective);
  out->set_trees(info.trees);
  out->set_loaded_at_ms(info.loaded_at_ms);
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* response) {
  return AnswerUnary(context, response, absl::OkStatus(), [&] {
    const store::Counts counts = node_.store().counts();
    const index::IndexStats stats = node_.index()->Stats();
    const IndexVersionsStatus versions = node_.index_versions().Status();
    v1::GetStatusResponse status;
    status.set_items(counts.items());
    status.set_users(counts.users());
    status.set_creators(counts.creators());
    status.set_indexed_vectors(stats.live);
    status.set_growing_vectors(stats.growing);
    status.set_index_type(stats.factory);
    status.set_dimension(stats.dim);
    status.set_metric("inner_product");
    status.set_index_version(versions.serving.name);
    status.set_data_dir(node_.data_dir().string());
    status.set_server_version(ZHONGCAO_VERSION);
    for (const auto& [source, count] : recommender_.DegradedSourceCounts()) {
      (*status.mutable_degraded_sources())[source] = count;
    }
    status.set_refused_reads(admission_.refused());
    const store::FeatureStore::Health health = node_.store().health();
    v1::StoreStatus& store = *status.mutable_store();
    store.set_write_stops(health.write_stops);
    store.set_write_slowdowns(health.write_slowdowns);
    store.set_write_stall_micros(health.write_stall_micros);
    store.set_writes_stopped(health.writes_stopped);
    store.set_pending_compaction_bytes(health.pending_compaction_bytes);
    store.set_memtable_bytes(health.memtable_bytes);
    store.set_item_cache_bytes(health.item_cache_bytes);
    store.set_item_cache_capacity_bytes(health.item_cache_capacity_bytes);
    store.set_item_cache_evictions(health.item_cache_evictions);
    store.set_item_cache_lookups(health.item_cache_lookups);
    store.set_item_cache_hits(health.item_cache_hits);
    store.set_creator_scan_asks(health.creator_scan_asks);
    store.set_creator_scan_kept(health.creator_scan_kept);
    Fill(versions.serving, status.mutable_serving_index());
    if (versions.previous.has_value()) {
      Fill(*versions.previous, status.mutable_previous_index());
    }
    status.set_compactions(versions.compactions);
    status.set_compacting(versions.compacting);
    status.set_last_compaction_error(versions.last_compaction_error);
    if (const auto model = recommender_.ranker_model(); model != nullptr) {
      Fill(model->info(), status.mutable_ranker_model());
    }
    return absl::StatusOr<v1::GetStatusResponse>(std::move(status));
  });
}

template <typename Change>
grpc::ServerUnaryReactor* AdminService::SwapLater(grpc::CallbackServerContext* context,
                                                  v1::IndexSwapResponse* response,
                                                  Change change) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  worker_.Post([reactor, response, change = std::move(change)] {
    absl::StatusOr<SwapReport> report = change();
    if (report.ok()) {
      Fill(report->serving, response->mutable_serving());
      if (report->previous.has_value())
        Fill(*report->previous, response->mutable_previous());
      response->set_replayed_items(report->replayed_items);
      response->set_millis(report->millis);
    }
    reactor->Finish(ToGrpcStatus(report.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::LoadIndex(grpc::CallbackServerContext* context,
                                                  const v1::LoadIndexRequest* request,
                                                  v1::IndexSwapResponse* response) {
  if (request->path().empty()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("path: must be set")));
    return reactor;
  }
  return SwapLater(context, response, [this, path = request->path()] {
    return node_.index_versions().Load(path);
  });
}

grpc::ServerUnaryReactor* AdminService::RollbackIndex(
    grpc::CallbackServerContext* context, const v1::RollbackIndexRequest*,
    v1::IndexSwapResponse* response) {
  return SwapLater(context, response,
                   [this] { return node_.index_versions().Rollback(); });
}

grpc::ServerUnaryReactor* AdminService::CompactIndex(grpc::CallbackServerContext* context,
                                                     const v1::CompactIndexRequest*,
                                                     v1::IndexSwapResponse* response) {
  return SwapLater(context, response,
                   [this] { return node_.index_versions().Compact(); });
}

grpc::ServerUnaryReactor* AdminService::ReadExposures(
    grpc::CallbackServerContext* context, const v1::ReadLogRequest* request,
    v1::ReadExposuresResponse* response) {
  absl::StatusOr<store::LogQuery> query = LogQueryFromRequest(*request, node_.limits());
  return AnswerUnary(
      context, response, query.status(),
      [&]() -> absl::StatusOr<v1::ReadExposuresResponse> {
        store::ExposureLog* log = node_.exposure_log();
        if (log == nullptr) {
          return absl::FailedPreconditionError(
              "the exposure log is off (zhongcao_server --exposure_log=false)");
        }
        // Everything served before this call is in the answer.
        if (absl::Status s = log->Flush(); !s.ok()) return s;
        absl::StatusOr<store::LogPage<v1::Exposure>> page =
            node_.store().ReadExposures(*query);
        if (!page.ok()) return page.status();
        v1::ReadExposuresResponse answer;
        for (v1::Exposure& row : page->rows) *answer.add_exposures() = std::move(row);
        answer.set_next_page_token(LogPageToken(page->resume_after));
        return answer;
      });
}

grpc::ServerUnaryReactor* AdminService::ReadOutcomes(grpc::CallbackServerContext* context,
                                                     const v1::ReadLogRequest* request,
                                                     v1::ReadOutcomesResponse* response) {
  absl::StatusOr<store::LogQuery> query = LogQueryFromRequest(*request, node_.limits());
  return AnswerUnary(
      context, response, query.status(),
      [&]() -> absl::StatusOr<v1::ReadOutcomesResponse> {
        if (node_.exposure_log() == nullptr) {
          return absl::FailedPreconditionError(
              "the outcome log is off (zhongcao_server --exposure_log=false)");
        }
        absl::StatusOr<store::LogPage<v1::Outcome>> page =
            node_.store().ReadOutcomes(*query);
        if (!page.ok()) return page.status();
        v1::ReadOutcomesResponse answer;
        for (v1::Outcome& row : page->rows) *answer.add_outcomes() = std::move(row);
        answer.set_next_page_token(LogPageToken(page->resume_after));
        return answer;
      });
}

grpc::ServerUnaryReactor* AdminService::LoadRankerModel(
    grpc::CallbackServerContext* context, const v1::LoadRankerModelRequest* request,
    v1::LoadRankerModelResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->path().empty()) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("path: must be set")));
    return reactor;
  }
  // Reading and checking a model file is disk and CPU work: off the
  // request threads, like an index load.
  worker_.Post([this, reactor, response, path = request->path()] {
    const auto start = std::chrono::steady_clock::now();
    const std::shared_ptr<const ranking::RankerModel> previous =
        recommender_.ranker_model();
    absl::StatusOr<ranking::RankerModelInfo> loaded = recommender_.LoadRankerModel(path);
    if (loaded.ok()) {
      Fill(*loaded, response->mutable_serving());
      if (previous != nullptr) Fill(previous->info(), response->mutable_previous());
      response->set_millis(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count());
    }
    reactor->Finish(ToGrpcStatus(loaded.status()));
  });
  return reactor;
}

}  // namespace zhongcao::service
