// The bulk importer into a data directory offline: every format round
// trips exactly, --on_error=abort loads nothing when any row is bad and
// --on_error=skip loads exactly the good rows, each bad row reported as
// FILE:LINE: field: message.
#include "tools/import/importer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/import_test_data.h"
#include "tools/import/node_sink.h"

namespace zhongcao::tools {
namespace {

namespace fs = std::filesystem;
using testing::Catalog;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeCatalog;

constexpr int kDim = 8;

class Collector final : public ImportObserver {
 public:
  void OnBadRow(const BadRow& row) override { bad.push_back(ToString(row)); }
  std::vector<std::string> bad;
};

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A parameterised test's name has a slash ("Name/0"): one directory,
    // not a directory in one, so that TearDown removes it all.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::path(::testing::TempDir()) /
           ("importer_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    sink_ = OpenSink();
  }
  void TearDown() override {
    sink_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<NodeSink> OpenSink() {
    service::NodeOptions options;
    options.data_dir = dir_ / "data";
    options.index.dim = kDim;
    auto sink = NodeSink::Open(options);
    EXPECT_TRUE(sink.ok()) << sink.status();
    return sink.ok() ? *std::move(sink) : nullptr;
  }

  fs::path In(const std::string& name) const { return dir_ / "in" / name; }

  ImportReport Run(const ImportOptions& options) {
    collector_.bad.clear();
    return Import(options, *sink_, collector_);
  }

  const service::Node& node() { return sink_->node(); }

  fs::path dir_;
  std::unique_ptr<NodeSink> sink_;
  Collector collector_;
};

// Round trips: items with keyed embeddings, users with inline ones,
// creators and events, in each row format and each matrix format.
struct Formats {
  bool csv;
  const char* matrix;  // ".npy" or ".fvecs"
};

class RoundTripTest : public ImporterTest,
                      public ::testing::WithParamInterface<Formats> {};

TEST_P(RoundTripTest, EveryFieldReadsBackExactly) {
  const Catalog catalog = MakeCatalog(kDim);
  const Formats formats = GetParam();
  ImportOptions options;
  if (formats.csv) {
    options.items = In("items.csv");
    options.users = In("users.csv");
    options.creators = In("creators.csv");
    options.events = In("events.csv");
    testing::WriteItemsCsv(options.items, catalog.items);
    testing::WriteUsersCsv(options.users, catalog.users);
    testing::WriteCreatorsCsv(options.creators, catalog.creators);
    testing::WriteEventsCsv(options.events, catalog.events);
  } else {
    options.items = In("items.jsonl");
    options.users = In("users.jsonl");
    options.creators = In("creators.jsonl");
    options.events = In("events.jsonl");
    testing::WriteJsonLines(options.items, testing::WithoutEmbeddings(catalog.items));
    testing::WriteJsonLines(options.users, catalog.users);
    testing::WriteJsonLines(options.creators, catalog.creators);
    testing::WriteJsonLines(options.events, catalog.events);
  }
  options.embeddings = In(std::string("items") + formats.matrix);
  options.embedding_ids = In("items.ids");
  testing::WriteKeyedEmbeddings(options.embeddings, options.embedding_ids, catalog.items);

  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_THAT(collector_.bad, IsEmpty());
  EXPECT_FALSE(report.refused);
  EXPECT_EQ(report.loaded.at("items"), static_cast<int64_t>(catalog.items.size()));
  EXPECT_EQ(report.loaded.at("events"), static_cast<int64_t>(catalog.events.size()));
  testing::ExpectStoreHolds(node(), catalog);

  // Durable: the data directory reopens with everything in it.
  sink_.reset();
  sink_ = OpenSink();
  testing::ExpectStoreHolds(node(), catalog);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, RoundTripTest,
    ::testing::Values(Formats{true, ".npy"}, Formats{true, ".fvecs"},
                      Formats{false, ".npy"}, Formats{false, ".fvecs"}),
    [](const auto& param_info) {
      return std::string(param_info.param.csv ? "Csv" : "JsonLines") +
             (std::string(param_info.param.matrix) == ".npy" ? "Npy" : "Fvecs");
    });

// Three good items and one bad; events naming a new item, a bad one and an
// unknown one.
void WriteMixedFiles(const fs::path& items, const fs::path& events) {
  testing::WriteLines(items,
                      {"id,kind,title,embedding", "n1,note,first,", "n2,note,second,",
                       "n3,nope,third,", "n4,video,\"fourth\"\"\",1 2 3"});
  testing::WriteLines(
      events, {R"({"userId": "u1", "itemId": "n1", "type": "EVENT_TYPE_CLICK"})",
               R"({"userId": "u1", "itemId": "n3", "type": "EVENT_TYPE_LIKE"})", "",
               R"({"userId": "u1", "itemId": "zz", "type": "EVENT_TYPE_SAVE"})",
               R"({"userId": "u1", "itemId": "n2", "type": "EVENT_TYPE_LIKE"})"});
}

TEST_F(ImporterTest, Abort_AnyBadRow_LoadsNothingAndReportsEveryOne) {
  ImportOptions options;
  options.items = In("items.csv");
  options.events = In("events.jsonl");
  WriteMixedFiles(options.items, options.events);
  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_TRUE(report.refused);
  EXPECT_EQ(report.rows, 8);
  EXPECT_EQ(report.bad, 4);
  const std::string items = options.items.string(), events = options.events.string();
  EXPECT_THAT(
      collector_.bad,
      ElementsAre(items + ":4: kind: unknown value \"nope\"; expected product, "
                          "note, video, live, or ITEM_KIND_*",
                  items + ":5: embedding: has 3 values, the service's dimension is 8",
                  // n3 is not loaded by this import: its row is bad.
                  events + ":2: item_id: item \"n3\" does not exist",
                  events + ":4: item_id: item \"zz\" does not exist"));
  EXPECT_EQ(report.total_loaded(), 0);
  EXPECT_EQ(node().store().counts().items(), 0);
  auto user = node().store().ReadUser("u1");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->history.events_size(), 0);
}

TEST_F(ImporterTest, Skip_LoadsExactlyTheGoodRows) {
  ImportOptions options;
  options.items = In("items.csv");
  options.events = In("events.jsonl");
  options.on_error = OnError::kSkip;
  WriteMixedFiles(options.items, options.events);
  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_FALSE(report.refused);
  EXPECT_EQ(report.bad, 4);
  EXPECT_EQ(collector_.bad.size(), 4u);
  EXPECT_EQ(report.loaded.at("items"), 2);
  EXPECT_EQ(report.loaded.at("events"), 2);
  EXPECT_EQ(node().store().counts().items(), 2);
  std::vector<std::string> ids = {"n1", "n2", "n3", "n4"};
  auto records = node().store().ReadItems(ids);
  ASSERT_TRUE(records.ok());
  EXPECT_NE((*records)[0].item, nullptr);
  EXPECT_NE((*records)[1].item, nullptr);
  EXPECT_EQ((*records)[2].item, nullptr);
  EXPECT_EQ((*records)[3].item, nullptr);
  auto user = node().store().ReadUser("u1");
  ASSERT_TRUE(user.ok());
  std::vector<std::string> seen;
  for (const auto& e : user->history.events()) seen.push_back(e.item_id());
  std::sort(seen.begin(), seen.end());
  EXPECT_THAT(seen, ElementsAre("n1", "n2"));
}

TEST_F(ImporterTest, Abort_EventsMayNameItemsOfTheSameImport) {
  ImportOptions options;
  options.items = In("items.csv");
  options.events = In("events.csv");
  testing::WriteLines(options.items, {"id,kind", "a,note", "b,live"});
  testing::WriteLines(options.events,
                      {"user_id,item_id,type,timestamp", "u,a,click,1700000000",
                       "u,b,purchase,1700000001.5"});
  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_THAT(collector_.bad, IsEmpty());
  EXPECT_EQ(report.loaded.at("events"), 2);
  auto user = node().store().ReadUser("u");
  ASSERT_TRUE(user.ok());
  ASSERT_EQ(user->history.events_size(), 2);
}

TEST_F(ImporterTest, Abort_EventTooFarInTheFuture_IsFoundByTheDryRun) {
  // Only the service's clock can judge this: a dry run must catch it even
  // though the event names an item of the same import.
  ImportOptions options;
  options.items = In("items.csv");
  options.events = In("events.csv");
  testing::WriteLines(options.items, {"id,kind", "a,note"});
  testing::WriteLines(options.events,
                      {"user_id,item_id,type,timestamp_ms", "u,a,click,1700000000000",
                       "u,a,click,99999999999999"});
  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_TRUE(report.refused);
  ASSERT_EQ(collector_.bad.size(), 1u);
  EXPECT_THAT(collector_.bad[0],
              ::testing::StartsWith(options.events.string() +
                                    ":3: timestamp_ms: 99999999999999 is more than 5 "
                                    "minutes ahead"));
  EXPECT_EQ(node().store().counts().items(), 0);
}

TEST_F(ImporterTest, EmbeddingsAlone_ReplaceStoredOnesAndKeepOtherFields) {
  Catalog catalog = MakeCatalog(kDim, 5, 2);
  catalog.events.clear();
  catalog.creators.clear();
  ASSERT_TRUE(sink_->node().UpsertItems(catalog.items).ok());
  ASSERT_TRUE(sink_->node().UpsertUsers(catalog.users).ok());
  Catalog fresh = MakeCatalog(kDim, 5, 2, /*seed=*/99);
  for (size_t i = 0; i < fresh.items.size(); ++i) {
    *catalog.items[i].mutable_embedding() = fresh.items[i].embedding();
  }
  ImportOptions options;
  options.embeddings = In("items.fvecs");
  options.embedding_ids = In("items.ids");
  testing::WriteKeyedEmbeddings(options.embeddings, options.embedding_ids, catalog.items);
  ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_THAT(collector_.bad, IsEmpty());
  EXPECT_EQ(report.loaded.at("embeddings"), 5);

  // And for users, one of them new: created with the embedding alone.
  v1::User newcomer;
  newcomer.set_id("u-new");
  *newcomer.mutable_embedding() = fresh.users[0].embedding();
  std::vector<v1::User> users = {catalog.users[1], newcomer};
  *users[0].mutable_embedding() = fresh.users[1].embedding();
  options.embeddings = In("users.npy");
  options.embedding_ids = In("users.ids");
  options.embeddings_for = v1::EMBEDDING_TARGET_USERS;
  testing::WriteKeyedEmbeddings(options.embeddings, options.embedding_ids, users);
  report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  catalog.users[1] = users[0];
  catalog.users.push_back(newcomer);
  testing::ExpectStoreHolds(node(), catalog);
}

TEST_F(ImporterTest, EmbeddingsAlone_UnknownItem_AbortChangesNothingSkipTheRest) {
  Catalog catalog = MakeCatalog(kDim, 3, 0);
  catalog.events.clear();
  catalog.creators.clear();
  ASSERT_TRUE(sink_->node().UpsertItems(catalog.items).ok());
  std::vector<v1::Item> rows = MakeCatalog(kDim, 3, 0, /*seed=*/5).items;
  rows[1].set_id("ghost");
  ImportOptions options;
  options.embeddings = In("items.npy");
  options.embedding_ids = In("items.ids");
  testing::WriteKeyedEmbeddings(options.embeddings, options.embedding_ids, rows);
  ImportReport report = Run(options);
  EXPECT_TRUE(report.refused);
  EXPECT_THAT(collector_.bad, ElementsAre(options.embedding_ids.string() +
                                          ":2: id: item \"ghost\" does not exist"));
  testing::ExpectStoreHolds(node(), catalog);

  options.on_error = OnError::kSkip;
  report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.loaded.at("embeddings"), 2);
  EXPECT_EQ(collector_.bad.size(), 1u);
  *catalog.items[0].mutable_embedding() = rows[0].embedding();
  *catalog.items[2].mutable_embedding() = rows[2].embedding();
  testing::ExpectStoreHolds(node(), catalog);
}

TEST_F(ImporterTest, KeyedEmbeddings_MismatchesWithTheRowsAreBadRows) {
  ImportOptions options;
  options.items = In("items.jsonl");
  options.embeddings = In("items.npy");
  options.embedding_ids = In("items.ids");
  testing::WriteLines(
      options.items,
      {R"({"id": "a", "kind": "ITEM_KIND_NOTE"})",
       R"({"id": "b", "kind": "ITEM_KIND_NOTE", "embedding": [1,2,3,4,5,6,7,8]})"});
  tools::VectorSet set;
  set.dim = kDim;
  set.ids = {"a", "b", "c"};
  set.values.assign(3 * kDim, 0.5f);
  set.values[5] = std::nanf("");
  ASSERT_TRUE(WriteVectorSet(options.embeddings, options.embedding_ids, set).ok());
  const ImportReport report = Run(options);
  EXPECT_TRUE(report.refused);
  const std::string items = options.items.string(), ids = options.embedding_ids.string();
  EXPECT_THAT(
      collector_.bad,
      ElementsAre(items +
                      ":1: embedding[5]: is not a finite number (from line 1 "
                      "of " +
                      ids + ")",
                  items + ":2: embedding: given both in the row and on line 2 of " + ids,
                  ids + ":3: id: no item \"c\" in " + items));
  EXPECT_EQ(node().store().counts().items(), 0);
}

TEST_F(ImporterTest, FileLevelErrors_StopTheImportBeforeAnyWrite) {
  ImportOptions options;
  options.items = In("items.csv");
  options.embeddings = In("items.npy");
  options.embedding_ids = In("items.ids");
  testing::WriteLines(options.items, {"id,kind", "a,note"});
  tools::VectorSet set;
  set.dim = 3;
  set.ids = {"a"};
  set.values = {1, 2, 3};
  ASSERT_TRUE(WriteVectorSet(options.embeddings, options.embedding_ids, set).ok());
  ImportReport report = Run(options);
  EXPECT_EQ(report.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(report.status.message()),
              ::testing::HasSubstr("dimension 3, the service's dimension is 8"));

  options.embeddings.clear();
  options.embedding_ids.clear();
  options.on_error = OnError::kSkip;
  testing::WriteLines(options.items, {"id,knd", "a,note"});
  report = Run(options);
  EXPECT_THAT(std::string(report.status.message()),
              ::testing::HasSubstr("items.csv:1: header: column \"knd\" is not known"));
  EXPECT_EQ(node().store().counts().items(), 0);
}

}  // namespace
}  // namespace zhongcao::tools
