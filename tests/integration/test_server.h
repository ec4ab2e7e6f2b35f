// A real zhongcao server on a loopback port over a fresh data directory,
// with client stubs, for integration tests.
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "service/node.h"
#include "service/server.h"
#include "zhongcao/v1/admin.grpc.pb.h"
#include "zhongcao/v1/ingest.grpc.pb.h"
#include "zhongcao/v1/recommend.grpc.pb.h"

namespace zhongcao::testing {

class TestServer {
 public:
  explicit TestServer(int dim, service::ServerOptions options = {}) {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("zhongcao_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    service::NodeOptions node_options;
    node_options.data_dir = dir_;
    node_options.index.dim = dim;
    auto node = service::Node::Open(node_options);
    EXPECT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
    options.address = "127.0.0.1:0";
    auto server = service::ZhongcaoServer::Start(*node_, options);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    recommend = v1::RecommendService::NewStub(channel_);
    ingest = v1::IngestService::NewStub(channel_);
    admin = v1::AdminService::NewStub(channel_);
  }

  ~TestServer() {
    server_.reset();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  const std::filesystem::path& dir() const { return dir_; }
  service::Node& node() { return *node_; }

  grpc::Status Upsert(std::vector<v1::Item> items) {
    grpc::ClientContext context;
    v1::UpsertItemsRequest request;
    for (auto& item : items) *request.add_items() = std::move(item);
    v1::UpsertItemsResponse response;
    return ingest->UpsertItems(&context, request, &response);
  }
  grpc::Status UpsertUsers(std::vector<v1::User> users) {
    grpc::ClientContext context;
    v1::UpsertUsersRequest request;
    for (auto& user : users) *request.add_users() = std::move(user);
    v1::UpsertUsersResponse response;
    return ingest->UpsertUsers(&context, request, &response);
  }
  grpc::Status UpsertCreators(std::vector<v1::Creator> creators) {
    grpc::ClientContext context;
    v1::UpsertCreatorsRequest request;
    for (auto& creator : creators) *request.add_creators() = std::move(creator);
    v1::UpsertCreatorsResponse response;
    return ingest->UpsertCreators(&context, request, &response);
  }
  grpc::Status Record(std::vector<v1::Event> events) {
    grpc::ClientContext context;
    v1::RecordEventsRequest request;
    for (auto& event : events) *request.add_events() = std::move(event);
    v1::RecordEventsResponse response;
    return ingest->RecordEvents(&context, request, &response);
  }
  grpc::Status Feed(const v1::GetFeedRequest& request, v1::GetFeedResponse* response) {
    grpc::ClientContext context;
    return recommend->GetFeed(&context, request, response);
  }
  v1::GetStatusResponse Status() {
    grpc::ClientContext context;
    v1::GetStatusResponse status;
    EXPECT_TRUE(admin->GetStatus(&context, {}, &status).ok());
    return status;
  }

  std::unique_ptr<v1::RecommendService::Stub> recommend;
  std::unique_ptr<v1::IngestService::Stub> ingest;
  std::unique_ptr<v1::AdminService::Stub> admin;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<service::Node> node_;
  std::unique_ptr<service::ZhongcaoServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A unit vector near `center` (itself unit), `noise` being the spread.
inline std::vector<float> Near(const std::vector<float>& center, float noise,
                               std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0, noise);
  std::vector<float> v = center;
  float norm = 0;
  for (float& x : v) {
    x += normal(rng);
    norm += x * x;
  }
  for (float& x : v) x /= std::sqrt(norm);
  return v;
}

inline std::vector<float> RandomUnit(int dim, std::mt19937_64& rng) {
  return Near(std::vector<float>(dim, 0.0f), 1.0f, rng);
}

}  // namespace zhongcao::testing
