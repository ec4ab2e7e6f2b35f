// A running server's GetRelated over gRPC as an engine: the whole request
// path (validation, store read of the seed item, filtered index search,
// hydration, serialisation, loopback) on the vectors the server serves. It
// has no efSearch of its own (the server's flag sets it) and only answers
// item queries, since GetRelated takes an item id, not a vector.
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "bench/ann/engine.h"
#include "grpcpp/create_channel.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao::bench {
namespace {

class GrpcRelatedEngine : public Engine {
 public:
  explicit GrpcRelatedEngine(std::string target) : target_(std::move(target)) {}

  std::string name() const override { return "getrelated"; }
  bool sweeps_ef() const override { return false; }
  bool remote() const override { return true; }

  absl::Status Prepare(const Dataset& data, const std::filesystem::path&, int) override {
    data_ = &data;
    row_of_.reserve(data.n);
    for (int64_t i = 0; i < data.n; ++i) row_of_.emplace(data.ids[i], i);
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::seconds(10))) {
      return absl::UnavailableError(absl::StrCat(target_, ": not connected after 10 s"));
    }
    stub_ = v1::RecommendService::NewStub(channel_);
    // One call first, so that a server serving other vectors fails here
    // rather than as zero recall.
    if (data.n > 0) {
      v1::GetRelatedRequest request;
      request.set_item_id(data.ids[0]);
      request.set_count(1);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::GetRelatedResponse response;
      const grpc::Status s = stub_->GetRelated(&context, request, &response);
      if (!s.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("GetRelated(", data.ids[0], ") on ", target_, ": ",
                         s.error_message(), "; does it serve these vectors?"));
      }
    }
    return absl::OkStatus();
  }

  bool built_now() const override { return false; }
  double build_seconds() const override { return 0; }
  absl::Status SetEf(int) override { return absl::OkStatus(); }

  void Search(const float*, int k, int64_t self) override {
    self_ = self;
    response_.Clear();
    if (self < 0) {
      status_ = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no item to query with");
      return;
    }
    v1::GetRelatedRequest request;
    request.set_item_id(data_->ids[self]);
    request.set_count(k);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    status_ = stub_->GetRelated(&context, request, &response_);
  }

  void Collect(std::vector<int64_t>* rows) override {
    rows->clear();
    if (!status_.ok()) {
      ++failures_;
      if (failures_ <= 3) {
        std::fprintf(stderr, "getrelated: %s\n", status_.error_message().c_str());
      }
      return;
    }
    for (const v1::ScoredItem& item : response_.items()) {
      auto it = row_of_.find(item.item_id());
      if (it == row_of_.end() || it->second == self_) continue;
      rows->push_back(it->second);
    }
  }

 private:
  std::string target_;
  const Dataset* data_ = nullptr;
  absl::flat_hash_map<std::string, int64_t> row_of_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RecommendService::Stub> stub_;
  v1::GetRelatedResponse response_;
  grpc::Status status_;
  int64_t self_ = -1;
  int64_t failures_ = 0;
};

}  // namespace

std::unique_ptr<Engine> MakeGrpcRelatedEngine(const std::string& target) {
  return std::make_unique<GrpcRelatedEngine>(target);
}

}  // namespace zhongcao::bench
