// Index swaps under load, over gRPC: while client threads keep calling
// GetFeed and GetRelated and a writer keeps upserting, the test swaps
// between two index versions several times with LoadIndex and rolls back.
// Every call must succeed, and every answer must be the one of exactly the
// version it names.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "index/vector_index.h"
#include "tests/integration/test_server.h"
#include "tests/scratch_dir.h"

namespace zhongcao {
namespace {

using testing::TestServer;
namespace fs = std::filesystem;

constexpr int kDim = 16;
constexpr int kGroupSize = 30;
constexpr int kFeedCount = 10;

std::vector<float> Unit(int axis, float wobble) {
  std::vector<float> v(kDim, 0.0f);
  v[axis] = 1.0f;
  v[(axis + 3) % kDim] = wobble;  // distinct scores within a group
  return v;
}

// Group "a" items lie along axis 0 in version A and along axis 1 in version
// B; group "b" the other way round. The user looks along axis 0, so a feed
// of ANN candidates only is all "a" items under A and all "b" under B.
std::vector<float> VectorIn(char version, char group, int i) {
  const bool along_user = (version == 'A') == (group == 'a');
  return Unit(along_user ? 0 : 1, 0.01f * i);
}

service::ServerOptions AnnOnly() {
  service::ServerOptions options;
  ranking::SourceBudgets& budgets = options.ranking.settings.budgets;
  budgets = ranking::SourceBudgets{};
  budgets.ann_user = kFeedCount;
  budgets.ann_session = budgets.following = budgets.trending = budgets.fresh =
      budgets.campaign = budgets.recent = 0;
  // A sanitizer build on a busy machine must not turn the one source into
  // a degraded one: this test is about versions, not deadlines.
  budgets.source_deadline_ms = 10000;
  return options;
}

class IndexSwapTest : public ::testing::Test {
 protected:
  IndexSwapTest() : server_(kDim, AnnOnly()) {}

  void SetUp() override {
    std::vector<v1::Item> items;
    for (char group : {'a', 'b'}) {
      for (int i = 0; i < kGroupSize; ++i) {
        v1::Item item;
        item.set_id(std::string(1, group) + std::to_string(i));
        item.set_kind(v1::ITEM_KIND_NOTE);
        const std::vector<float> v = VectorIn('A', group, i);
        item.mutable_embedding()->Assign(v.begin(), v.end());
        items.push_back(item);
      }
    }
    ASSERT_TRUE(server_.Upsert(items).ok());
    v1::User user;
    user.set_id("u");
    const std::vector<float> along = Unit(0, 0);
    user.mutable_embedding()->Assign(along.begin(), along.end());
    ASSERT_TRUE(server_.UpsertUsers({user}).ok());
  }

  // A snapshot of version `version`'s vectors as an offline builder would
  // write it, current to the store's present sequence.
  fs::path Snapshot(char version) {
    index::IndexOptions options;
    options.dim = kDim;
    options.factory = "HNSW16,Flat";
    auto built = index::VectorIndex::Create(options);
    EXPECT_TRUE(built.ok());
    std::vector<index::IndexChange> changes;
    for (char group : {'a', 'b'}) {
      for (int i = 0; i < kGroupSize; ++i) {
        index::IndexChange change;
        change.id = std::string(1, group) + std::to_string(i);
        change.vector = VectorIn(version, group, i);
        change.attributes.kind = v1::ITEM_KIND_NOTE;
        changes.push_back(change);
      }
    }
    EXPECT_TRUE((*built)->Apply(changes, server_.node().store().LastSequence()).ok());
    EXPECT_TRUE((*built)->BuildMain().ok());
    const fs::path out = zhongcao::testing::ScratchDir() /
                         ("swap_" + version + std::to_string(++snapshots_));
    fs::remove_all(out);
    EXPECT_TRUE((*built)->SaveSnapshot(out, std::string(1, version)).ok());
    return out;
  }

  TestServer server_;
  int snapshots_ = 0;
};

TEST_F(IndexSwapTest, ConcurrentFeedsSucceedAndEachSeesExactlyOneVersion) {
  // Version name -> the group its feeds must come from. The first version
  // is the one built from the store at start: version A's vectors.
  std::mutex versions_mu;
  std::map<std::string, char> group_of = {{server_.Status().serving_index().name(), 'a'}};
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  // Recorded answers, checked once every version's group is known.
  struct Answer {
    std::string version;
    std::vector<std::string> ids;
  };
  std::mutex answers_mu;
  std::vector<Answer> answers;
  std::vector<Answer> related;

  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(failures_mu);
    failures.push_back(what);
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        v1::GetFeedRequest request;
        request.set_user_id("u");
        request.set_count(kFeedCount);
        v1::GetFeedResponse response;
        grpc::ClientContext context;
        const grpc::Status status =
            server_.recommend->GetFeed(&context, request, &response);
        ++calls;
        if (!status.ok()) {
          fail("GetFeed: " + status.error_message());
          continue;
        }
        if (response.degraded_sources_size() > 0) fail("a source was left out");
        Answer answer{response.index_version(), {}};
        for (const auto& item : response.items()) answer.ids.push_back(item.item_id());
        std::lock_guard<std::mutex> lock(answers_mu);
        answers.push_back(std::move(answer));
      }
    });
  }
  // GetRelated asks with a0's vector in the serving version, so its
  // neighbours are group "a" under every version. A query taken from the
  // store (version A's space) would find group "b" under B.
  clients.emplace_back([&] {
    while (!stop.load()) {
      v1::GetRelatedRequest request;
      request.set_item_id("a0");
      request.set_count(5);
      v1::GetRelatedResponse response;
      grpc::ClientContext context;
      const grpc::Status status =
          server_.recommend->GetRelated(&context, request, &response);
      ++calls;
      if (!status.ok()) {
        fail("GetRelated: " + status.error_message());
        continue;
      }
      Answer answer{response.index_version(), {}};
      for (const auto& item : response.items()) answer.ids.push_back(item.item_id());
      std::lock_guard<std::mutex> lock(answers_mu);
      related.push_back(std::move(answer));
    }
  });
  // Writes go on throughout: unrelated items far from the user.
  clients.emplace_back([&] {
    for (int i = 0; !stop.load(); ++i) {
      v1::Item item;
      item.set_id("c" + std::to_string(i));
      item.set_kind(v1::ITEM_KIND_NOTE);
      const std::vector<float> v = Unit(2, 0.001f * (i % 100));
      item.mutable_embedding()->Assign(v.begin(), v.end());
      const grpc::Status status = server_.Upsert({item});
      if (!status.ok()) fail("UpsertItems: " + status.error_message());
    }
  });

  auto wait_for_calls = [&](int more) {
    const int target = calls.load() + more;
    while (calls.load() < target)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  wait_for_calls(20);
  for (int swap = 0; swap < 6; ++swap) {
    const char version = swap % 2 == 0 ? 'B' : 'A';
    v1::LoadIndexRequest request;
    request.set_path(Snapshot(version).string());
    v1::IndexSwapResponse response;
    grpc::ClientContext context;
    const grpc::Status status = server_.admin->LoadIndex(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    {
      std::lock_guard<std::mutex> lock(versions_mu);
      group_of[response.serving().name()] = version == 'A' ? 'a' : 'b';
    }
    wait_for_calls(20);
  }
  // Roll back from the last A to the B before it.
  v1::IndexSwapResponse rolled;
  {
    grpc::ClientContext context;
    const grpc::Status status = server_.admin->RollbackIndex(&context, {}, &rolled);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(group_of.at(rolled.serving().name()), 'b');
  }
  wait_for_calls(20);
  stop = true;
  for (std::thread& client : clients) client.join();

  EXPECT_THAT(failures, ::testing::IsEmpty());
  std::set<std::string> versions_seen;
  for (const Answer& answer : answers) {
    auto it = group_of.find(answer.version);
    ASSERT_NE(it, group_of.end()) << "unknown version " << answer.version;
    versions_seen.insert(answer.version);
    EXPECT_EQ(answer.ids.size(), static_cast<size_t>(kFeedCount)) << answer.version;
    for (const std::string& id : answer.ids) {
      ASSERT_EQ(id[0], it->second) << id << " in a feed from version " << answer.version;
    }
  }
  for (const Answer& answer : related) {
    auto it = group_of.find(answer.version);
    ASSERT_NE(it, group_of.end()) << "unknown version " << answer.version;
    EXPECT_EQ(answer.ids.size(), 5u) << answer.version;
    for (const std::string& id : answer.ids) {
      ASSERT_EQ(id[0], 'a') << id << " related under version " << answer.version;
    }
  }
  EXPECT_FALSE(related.empty());
  // Feeds ran under several versions, not just before or after the swaps.
  EXPECT_GE(versions_seen.size(), 4u);
  EXPECT_EQ(server_.Status().index_version(), rolled.serving().name());
}

}  // namespace
}  // namespace zhongcao
