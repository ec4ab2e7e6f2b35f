// Index versions over a real node: loading a snapshot built elsewhere with
// replay past its watermark, refusal of bad snapshots while the old version
// keeps serving, rollback, compaction (asked for and in the background),
// pinned versions, and what survives a restart.
#include "service/index_versions.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/node.h"

namespace zhongcao::service {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr int kDim = 8;

std::vector<float> Axis(int axis, float scale = 1.0f) {
  std::vector<float> v(kDim, 0.0f);
  v[axis] = scale;
  return v;
}

v1::Item Note(const std::string& id, const std::vector<float>& embedding) {
  v1::Item item;
  item.set_id(id);
  item.set_kind(v1::ITEM_KIND_NOTE);
  item.set_created_at_ms(1000);
  item.mutable_embedding()->Assign(embedding.begin(), embedding.end());
  return item;
}

class IndexVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("index_versions_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }

  void Open(int64_t compact_growing_at = 0) {
    node_.reset();
    NodeOptions options;
    options.data_dir = dir_ / "data";
    options.index.dim = kDim;
    options.index.factory = "Flat";
    options.compact_growing_at = compact_growing_at;
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Open(options);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
  }

  // Items i0..i(n-1), item i's vector scaled so that a query along axis 0
  // ranks them i(n-1) first.
  void UpsertRange(int from, int to, int axis = 0) {
    std::vector<v1::Item> items;
    for (int i = from; i < to; ++i) {
      items.push_back(Note("i" + std::to_string(i), Axis(axis, 1.0f + i)));
    }
    ASSERT_TRUE(node_->UpsertItems(items).ok());
  }

  // A snapshot built outside the node, as zhongcao_build_index does: every
  // item of `vectors` with the store's current sequence as its watermark,
  // unless `watermark` is given.
  fs::path BuildSnapshot(
      const std::string& label,
      const std::vector<std::pair<std::string, std::vector<float>>>& vectors,
      std::optional<uint64_t> watermark = std::nullopt, int dim = kDim) {
    index::IndexOptions options;
    options.dim = dim;
    options.factory = "Flat";
    auto built = index::VectorIndex::Create(options);
    EXPECT_TRUE(built.ok());
    std::vector<index::IndexChange> changes;
    for (const auto& [id, v] : vectors) {
      index::IndexChange change;
      change.id = id;
      change.vector = v;
      changes.push_back(change);
    }
    EXPECT_TRUE(
        (*built)->Apply(changes, watermark.value_or(node_->store().LastSequence())).ok());
    EXPECT_TRUE((*built)->BuildMain().ok());
    const fs::path out = dir_ / label;
    EXPECT_TRUE((*built)->SaveSnapshot(out, label).ok());
    return out;
  }

  std::vector<std::string> Top(int k, int axis = 0) {
    auto hits = node_->index()->Search(Axis(axis), k, {});
    EXPECT_TRUE(hits.ok()) << hits.status();
    std::vector<std::string> ids;
    if (hits.ok()) {
      for (const auto& hit : *hits) ids.push_back(hit.id);
    }
    return ids;
  }

  std::vector<std::string> LocalSnapshots() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_ / "data" / "index")) {
      if (entry.is_directory()) names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(IndexVersionsTest, LoadServesTheSnapshotAndReplaysLaterChanges) {
  Open();
  UpsertRange(0, 10);
  // The rebuilder's vectors put i0 first, unlike the store's.
  std::vector<std::pair<std::string, std::vector<float>>> vectors;
  for (int i = 0; i < 10; ++i) {
    vectors.emplace_back("i" + std::to_string(i), Axis(0, 100.0f - i));
  }
  const fs::path snapshot = BuildSnapshot("nightly", vectors);
  // Changes after the snapshot's watermark: one new item, one removed, one
  // re-embedded.
  UpsertRange(10, 11);
  ASSERT_TRUE(node_->DeleteItems(std::vector<std::string>{"i1"}).ok());
  ASSERT_TRUE(node_->UpsertItems({Note("i2", Axis(0, 1000.0f))}).ok());
  const std::string before = node_->index_versions().Current()->name;

  absl::StatusOr<SwapReport> report = node_->index_versions().Load(snapshot);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->serving.label, "nightly");
  EXPECT_EQ(report->serving.origin, "load");
  EXPECT_EQ(report->replayed_items, 3);
  ASSERT_TRUE(report->previous.has_value());
  EXPECT_EQ(report->previous->name, before);
  EXPECT_EQ(node_->index_versions().Current()->name, report->serving.name);
  // The snapshot's order, with the later changes on top of it.
  EXPECT_EQ(Top(4), (std::vector<std::string>{"i2", "i0", "i3", "i4"}));
  EXPECT_EQ(node_->index()->Stats().live, 10);
  const IndexVersionsStatus status = node_->index_versions().Status();
  EXPECT_EQ(status.serving.name, report->serving.name);
  ASSERT_TRUE(status.previous.has_value());
  EXPECT_EQ(status.previous->name, before);
}

TEST_F(IndexVersionsTest, BadSnapshotsAreRefusedAndTheOldVersionKeepsServing) {
  Open();
  UpsertRange(0, 10);
  std::vector<std::pair<std::string, std::vector<float>>> vectors = {
      {"i0", Axis(0, 50.0f)}};
  const std::string serving = node_->index_versions().Current()->name;
  const std::vector<std::string> top = Top(3);
  const std::vector<std::string> held = LocalSnapshots();

  auto expect_refused = [&](const fs::path& path, absl::StatusCode code,
                            const std::string& message) {
    absl::StatusOr<SwapReport> report = node_->index_versions().Load(path);
    ASSERT_FALSE(report.ok()) << path;
    EXPECT_EQ(report.status().code(), code) << report.status();
    EXPECT_THAT(report.status().message(), HasSubstr(message));
    EXPECT_EQ(node_->index_versions().Current()->name, serving);
    EXPECT_EQ(Top(3), top);
    EXPECT_EQ(LocalSnapshots(), held) << "a refused copy was left behind";
  };

  const fs::path truncated = BuildSnapshot("truncated", vectors);
  fs::resize_file(truncated / "vectors.f32",
                  fs::file_size(truncated / "vectors.f32") - 4);
  expect_refused(truncated, absl::StatusCode::kDataLoss, "missing or truncated");

  const fs::path flipped = BuildSnapshot("flipped", vectors);
  {
    std::fstream file(flipped / "ids.bin",
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(5);
    file.put('#');
  }
  expect_refused(flipped, absl::StatusCode::kDataLoss, "checksum");

  std::vector<std::pair<std::string, std::vector<float>>> wide = {
      {"i0", std::vector<float>(kDim + 4, 1.0f)}};
  const fs::path wrong_dim = BuildSnapshot("wrong_dim", wide, std::nullopt, kDim + 4);
  expect_refused(wrong_dim, absl::StatusCode::kFailedPrecondition, "dimension 12");

  const fs::path ahead =
      BuildSnapshot("ahead", vectors, node_->store().LastSequence() + 100);
  expect_refused(ahead, absl::StatusCode::kFailedPrecondition, "another data directory");

  const fs::path no_manifest = BuildSnapshot("no_manifest", vectors);
  fs::remove(no_manifest / "MANIFEST");
  expect_refused(no_manifest, absl::StatusCode::kNotFound, "MANIFEST");

  expect_refused(dir_ / "nothing_here", absl::StatusCode::kNotFound, "nothing_here");
  expect_refused(serving, absl::StatusCode::kFailedPrecondition, "already serving");
}

TEST_F(IndexVersionsTest, RollbackReturnsToThePreviousVersionAndBackAgain) {
  Open();
  UpsertRange(0, 5);
  EXPECT_EQ(node_->index_versions().Rollback().status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string first = node_->index_versions().Current()->name;
  const fs::path snapshot = BuildSnapshot("other", {{"i0", Axis(0, 100.0f)},
                                                    {"i1", Axis(0, 1.0f)},
                                                    {"i2", Axis(0, 2.0f)},
                                                    {"i3", Axis(0, 3.0f)},
                                                    {"i4", Axis(0, 4.0f)}});
  absl::StatusOr<SwapReport> loaded = node_->index_versions().Load(snapshot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(Top(1), std::vector<std::string>{"i0"});
  // A write while the loaded version serves reaches the version rolled
  // back to as well.
  UpsertRange(5, 6);

  absl::StatusOr<SwapReport> back = node_->index_versions().Rollback();
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->serving.name, first);
  EXPECT_EQ(back->serving.origin, "rollback");
  ASSERT_TRUE(back->previous.has_value());
  EXPECT_EQ(back->previous->name, loaded->serving.name);
  EXPECT_EQ(Top(2), (std::vector<std::string>{"i5", "i4"}));

  absl::StatusOr<SwapReport> forward = node_->index_versions().Rollback();
  ASSERT_TRUE(forward.ok()) << forward.status();
  EXPECT_EQ(forward->serving.name, loaded->serving.name);
  EXPECT_EQ(Top(2), (std::vector<std::string>{"i0", "i5"}));

  // Both names survive a restart, and so does the log both need.
  const std::string serving = node_->index_versions().Current()->name;
  Open();
  const IndexVersionsStatus status = node_->index_versions().Status();
  ASSERT_TRUE(status.previous.has_value());
  EXPECT_EQ(status.previous->name, first);
  absl::StatusOr<SwapReport> after_restart = node_->index_versions().Rollback();
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  EXPECT_EQ(Top(2), (std::vector<std::string>{"i5", "i4"}));
  (void)serving;
}

TEST_F(IndexVersionsTest, CompactFoldsGrowingAndRemovedVectorsIntoANewMain) {
  Open();
  UpsertRange(0, 50);
  ASSERT_TRUE(node_->DeleteItems(std::vector<std::string>{"i49", "i48"}).ok());
  ASSERT_GT(node_->index()->Stats().growing, 0);
  const std::vector<std::string> top = Top(10);
  const std::string before = node_->index_versions().Current()->name;

  absl::StatusOr<SwapReport> report = node_->index_versions().Compact();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->serving.origin, "compaction");
  EXPECT_EQ(report->previous->name, before);
  const index::IndexStats stats = node_->index()->Stats();
  EXPECT_EQ(stats.growing, 0);
  EXPECT_EQ(stats.dead, 0);
  EXPECT_EQ(stats.live, 48);
  EXPECT_EQ(Top(10), top);
}

TEST_F(IndexVersionsTest, CompactsInTheBackgroundPastTheGrowingThreshold) {
  Open(/*compact_growing_at=*/30);
  UpsertRange(0, 20);
  UpsertRange(20, 40);  // past 30: the compactor is woken
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (node_->index_versions().Status().compactions == 0 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const IndexVersionsStatus status = node_->index_versions().Status();
  ASSERT_GE(status.compactions, 1) << status.last_compaction_error;
  EXPECT_EQ(status.serving.origin, "compaction");
  EXPECT_EQ(node_->index()->Stats().growing, 0);
  EXPECT_EQ(Top(1), std::vector<std::string>{"i39"});
}

TEST_F(IndexVersionsTest, APinnedVersionStaysSearchableAfterASwap) {
  Open();
  UpsertRange(0, 5);
  std::shared_ptr<const index::IndexVersion> pinned = node_->index_versions().Current();
  const fs::path snapshot = BuildSnapshot("flipped_order", {{"i0", Axis(0, 100.0f)}});
  // The swap waits a while for the pinned version's last holder; release it
  // from another thread meanwhile, as a request finishing would.
  std::thread request([&] {
    auto hits = pinned->index->Search(Axis(0), 1, {});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].id, "i4");  // the old version, whatever serves now
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hits = pinned->index->Search(Axis(0), 1, {});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].id, "i4");
    pinned.reset();
  });
  absl::StatusOr<SwapReport> report = node_->index_versions().Load(snapshot);
  request.join();
  ASSERT_TRUE(report.ok()) << report.status();
  // The snapshot knew only i0; the store's other items are not changes
  // after its watermark, so they are not in it.
  EXPECT_EQ(Top(5), std::vector<std::string>{"i0"});
}

TEST_F(IndexVersionsTest, ChangeLogKeptForBothVersionsAndOldSnapshotsRemoved) {
  Open();
  UpsertRange(0, 5);
  for (int round = 0; round < 4; ++round) {
    UpsertRange(5 + round, 6 + round);
    ASSERT_TRUE(node_->index_versions().Compact().ok());
  }
  // Serving, previous and at most snapshots_to_keep (2) in all.
  EXPECT_LE(LocalSnapshots().size(), 2u);
  const IndexVersionsStatus status = node_->index_versions().Status();
  ASSERT_TRUE(status.previous.has_value());
  UpsertRange(20, 21);
  ASSERT_TRUE(node_->index_versions().Rollback().ok());
  EXPECT_EQ(Top(1), std::vector<std::string>{"i20"});
}

}  // namespace
}  // namespace zhongcao::service
