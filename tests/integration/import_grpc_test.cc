// The bulk importer against a real server on loopback: imports round trip
// through the gRPC IngestService and are served; validate_only writes
// nothing; SetEmbeddings replaces embeddings all or nothing; and the
// zhongcao_import binary's exit codes and output off a terminal.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tests/unit/import_test_data.h"
#include "tools/import/grpc_sink.h"
#include "tools/import/importer.h"

namespace zhongcao::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using tools::ImportOptions;
using tools::ImportReport;

constexpr int kDim = 8;

class Collector final : public tools::ImportObserver {
 public:
  void OnBadRow(const tools::BadRow& row) override { bad.push_back(ToString(row)); }
  std::vector<std::string> bad;
};

Catalog ItemsOnly(std::vector<v1::Item> items);

class ImportGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = fs::path(::testing::TempDir()) /
          ("import_grpc_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(in_);
    fs::create_directories(in_);
  }
  void TearDown() override { fs::remove_all(in_); }

  ImportReport Run(const ImportOptions& options) {
    auto sink = tools::GrpcSink::Connect(server_.channel());
    EXPECT_TRUE(sink.ok()) << sink.status();
    collector_.bad.clear();
    return tools::Import(options, **sink, collector_);
  }

  std::vector<std::string> Related(const std::string& item_id) {
    grpc::ClientContext context;
    v1::GetRelatedRequest request;
    request.set_item_id(item_id);
    request.set_count(3);
    v1::GetRelatedResponse response;
    EXPECT_TRUE(server_.recommend->GetRelated(&context, request, &response).ok());
    std::vector<std::string> ids;
    for (const auto& item : response.items()) ids.push_back(item.item_id());
    return ids;
  }

  grpc::Status SetEmbeddings(v1::EmbeddingTarget target,
                             std::vector<std::pair<std::string, std::vector<float>>> rows,
                             bool validate_only = false) {
    grpc::ClientContext context;
    v1::SetEmbeddingsRequest request;
    request.set_target(target);
    request.set_validate_only(validate_only);
    for (const auto& [id, values] : rows) {
      v1::Embedding& e = *request.add_embeddings();
      e.set_id(id);
      e.mutable_values()->Assign(values.begin(), values.end());
    }
    v1::SetEmbeddingsResponse response;
    return server_.ingest->SetEmbeddings(&context, request, &response);
  }

  fs::path in_;
  TestServer server_{kDim};
  Collector collector_;
};

TEST_F(ImportGrpcTest, RoundTrip_EveryFormatReadsBackAndIsServed) {
  const Catalog catalog = MakeCatalog(kDim, 40, 6);
  ImportOptions options;
  options.items = in_ / "items.csv";
  options.users = in_ / "users.jsonl";
  options.creators = in_ / "creators.csv";
  options.events = in_ / "events.jsonl";
  options.embeddings = in_ / "items.fvecs";
  options.embedding_ids = in_ / "items.ids";
  WriteItemsCsv(options.items, catalog.items);
  WriteJsonLines(options.users, catalog.users);
  WriteCreatorsCsv(options.creators, catalog.creators);
  WriteJsonLines(options.events, catalog.events);
  WriteKeyedEmbeddings(options.embeddings, options.embedding_ids, catalog.items);
  const ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_THAT(collector_.bad, IsEmpty());
  ExpectStoreHolds(server_.node(), catalog);
  EXPECT_EQ(server_.Status().items(), 40);
  EXPECT_EQ(server_.Status().indexed_vectors(), 40);

  // Served from the imported vectors: n1's nearest is the item given the
  // same direction.
  ImportOptions again;
  again.embeddings = in_ / "two.npy";
  again.embedding_ids = in_ / "two.ids";
  v1::Item a = catalog.items[1], b = catalog.items[2];
  const std::vector<float> same(kDim, 3.0f);
  a.mutable_embedding()->Assign(same.begin(), same.end());
  b.mutable_embedding()->Assign(same.begin(), same.end());
  WriteKeyedEmbeddings(again.embeddings, again.embedding_ids,
                       std::vector<v1::Item>{a, b});
  ASSERT_TRUE(Run(again).status.ok());
  const std::vector<std::string> related = Related(a.id());
  ASSERT_FALSE(related.empty());
  EXPECT_EQ(related[0], b.id());
}

TEST_F(ImportGrpcTest, AbortLoadsNothing_SkipLoadsTheGoodRows) {
  ImportOptions options;
  options.items = in_ / "items.jsonl";
  options.events = in_ / "events.csv";
  WriteLines(options.items,
             {R"({"id": "a", "kind": "ITEM_KIND_NOTE", "createdAtMs": "1700000000000"})",
              R"({"id": "b", "kind": "ITEM_KIND_PRODUCT"})",
              R"({"id": "c", "kind": "ITEM_KIND_VIDEO"})"});
  WriteLines(options.events,
             {"user_id,item_id,type", "u,a,click", "u,b,click", "u,c,like", "u,x,like"});
  ImportReport report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_TRUE(report.refused);
  const std::string items = options.items.string(), events = options.events.string();
  EXPECT_THAT(collector_.bad,
              ElementsAre(items + ":2: product: is required for a PRODUCT",
                          events + ":3: item_id: item \"b\" does not exist",
                          events + ":5: item_id: item \"x\" does not exist"));
  EXPECT_EQ(server_.Status().items(), 0);

  options.on_error = tools::OnError::kSkip;
  report = Run(options);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.bad, 3);
  EXPECT_EQ(report.loaded.at("items"), 2);
  EXPECT_EQ(report.loaded.at("events"), 2);
  EXPECT_EQ(server_.Status().items(), 2);
  auto user = server_.node().store().ReadUser("u");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->history.events_size(), 2);
}

TEST_F(ImportGrpcTest, ValidateOnly_ChecksEverythingAndWritesNothing) {
  const Catalog c = MakeCatalog(kDim, 6, 2);
  grpc::ClientContext items_context;
  v1::UpsertItemsRequest items;
  items.mutable_items()->Add(c.items.begin(), c.items.end());
  items.set_validate_only(true);
  v1::UpsertItemsResponse upserted;
  ASSERT_TRUE(server_.ingest->UpsertItems(&items_context, items, &upserted).ok());
  EXPECT_EQ(upserted.upserted(), 6);
  grpc::ClientContext users_context;
  v1::UpsertUsersRequest users;
  users.mutable_users()->Add(c.users.begin(), c.users.end());
  users.set_validate_only(true);
  v1::UpsertUsersResponse users_response;
  ASSERT_TRUE(server_.ingest->UpsertUsers(&users_context, users, &users_response).ok());
  grpc::ClientContext creators_context;
  v1::UpsertCreatorsRequest creators;
  creators.mutable_creators()->Add(c.creators.begin(), c.creators.end());
  creators.set_validate_only(true);
  v1::UpsertCreatorsResponse creators_response;
  ASSERT_TRUE(
      server_.ingest->UpsertCreators(&creators_context, creators, &creators_response)
          .ok());
  v1::GetStatusResponse status = server_.Status();
  EXPECT_EQ(status.items(), 0);
  EXPECT_EQ(status.users(), 0);
  EXPECT_EQ(status.creators(), 0);
  EXPECT_EQ(status.indexed_vectors(), 0);

  // Events are checked against the items that exist, as a write would be.
  grpc::ClientContext events_context;
  v1::RecordEventsRequest events;
  events.mutable_events()->Add(c.events.begin(), c.events.end());
  events.set_validate_only(true);
  v1::RecordEventsResponse recorded;
  grpc::Status missing = server_.ingest->RecordEvents(&events_context, events, &recorded);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(missing.error_message(), ::testing::StartsWith("events[0].item_id: item"));
  ASSERT_TRUE(server_.Upsert(c.items).ok());
  grpc::ClientContext again;
  ASSERT_TRUE(server_.ingest->RecordEvents(&again, events, &recorded).ok());
  auto user = server_.node().store().ReadUser("u0");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->history.events_size(), 0);

  grpc::ClientContext delete_context;
  v1::DeleteItemsRequest deletes;
  deletes.add_item_ids(c.items[0].id());
  deletes.set_validate_only(true);
  v1::DeleteItemsResponse deleted;
  ASSERT_TRUE(server_.ingest->DeleteItems(&delete_context, deletes, &deleted).ok());
  EXPECT_EQ(deleted.deleted(), 1);
  EXPECT_EQ(server_.Status().items(), 6);
}

TEST_F(ImportGrpcTest, SetEmbeddings_ReplacesAllOrNothingAndNamesTheElement) {
  const Catalog c = MakeCatalog(kDim, 4, 1);
  ASSERT_TRUE(server_.Upsert(c.items).ok());
  const std::vector<float> v(kDim, 3.0f);

  grpc::Status status = SetEmbeddings(v1::EMBEDDING_TARGET_UNSPECIFIED, {{"n1", v}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "target: must be set");
  status = SetEmbeddings(v1::EMBEDDING_TARGET_ITEMS, {{"n1", v}, {"ghost", v}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "embeddings[1].id: item \"ghost\" does not exist");
  status = SetEmbeddings(v1::EMBEDDING_TARGET_ITEMS, {{"n1", {1, 2, 3}}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "embeddings[0].values: has 3 values, the service's dimension is 8");
  std::vector<float> nan = v;
  nan[2] = std::nanf("");
  status = SetEmbeddings(v1::EMBEDDING_TARGET_ITEMS, {{"n1", v}, {"n2", nan}});
  EXPECT_EQ(status.error_message(), "embeddings[1].values[2]: is not a finite number");
  ASSERT_TRUE(SetEmbeddings(v1::EMBEDDING_TARGET_ITEMS, {{"n1", v}, {"n2", v}},
                            /*validate_only=*/true)
                  .ok());
  // Nothing above changed anything.
  ExpectStoreHolds(server_.node(), ItemsOnly(c.items));

  ASSERT_TRUE(SetEmbeddings(v1::EMBEDDING_TARGET_ITEMS, {{"n1", v}, {"n2", v}}).ok());
  EXPECT_EQ(Related("n1").at(0), "n2");
  std::vector<v1::Item> expected = c.items;
  expected[1].mutable_embedding()->Assign(v.begin(), v.end());
  expected[2].mutable_embedding()->Assign(v.begin(), v.end());
  ExpectStoreHolds(server_.node(), ItemsOnly(expected));

  ASSERT_TRUE(SetEmbeddings(v1::EMBEDDING_TARGET_USERS, {{"someone", v}}).ok());
  auto user = server_.node().store().ReadUser("someone");
  ASSERT_TRUE(user.ok() && user->user.has_value());
  EXPECT_THAT(user->user->embedding(), ElementsAre(3, 3, 3, 3, 3, 3, 3, 3));
}

Catalog ItemsOnly(std::vector<v1::Item> items) {
  Catalog catalog;
  catalog.items = std::move(items);
  return catalog;
}

struct Command {
  int exit_code;
  std::string stderr_text;
};

Command RunImportBinary(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const std::string command =
      absl::StrCat(ZHONGCAO_IMPORT_BINARY, " ", args, " 2>", err.string(), " </dev/null");
  const int status = std::system(command.c_str());
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

TEST_F(ImportGrpcTest, Binary_ExitCodesAndNoProgressOffATerminal) {
  const fs::path items = in_ / "items.csv";
  WriteLines(items, {"id,kind,title", "a,note,one", "b,note,two", "c,bogus,three"});
  // Over gRPC to a server of our own, whose port we know.
  service::ServerOptions options;
  options.address = "127.0.0.1:0";
  auto server = service::ZhongcaoServer::Start(server_.node(), options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = absl::StrCat("--target=127.0.0.1:", (*server)->port());

  Command refused = RunImportBinary(target + " --items=" + items.string(), in_);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.stderr_text,
            items.string() +
                ":4: kind: unknown value \"bogus\"; expected product, note, video, live, "
                "or ITEM_KIND_*\n"
                "zhongcao_import: refused: 1 bad rows of 3; nothing was loaded "
                "(--on_error=skip loads the good rows)\n");
  EXPECT_EQ(server_.Status().items(), 0);

  Command skipped =
      RunImportBinary(target + " --on_error=skip --items=" + items.string(), in_);
  EXPECT_EQ(skipped.exit_code, 0);
  // Not a terminal: no progress line, only the bad row and the summary.
  EXPECT_EQ(skipped.stderr_text.find('\r'), std::string::npos);
  EXPECT_EQ(skipped.stderr_text.find('\033'), std::string::npos);
  EXPECT_THAT(skipped.stderr_text,
              ::testing::MatchesRegex(".*items.csv:4: kind: [^\n]*\n"
                                      "zhongcao_import: loaded 2 items in [0-9.]+ s "
                                      "\\([0-9]+ rows/s\\); skipped 1 bad rows\n"));
  EXPECT_EQ(server_.Status().items(), 2);
  (*server)->Shutdown();

  // Offline into a data directory, which a node then opens with the rows.
  const fs::path data = in_ / "data";
  Command offline =
      RunImportBinary(absl::StrCat("--data_dir=", data.string(), " --dim=", kDim,
                                   " --on_error=skip --items=", items.string()),
                      in_);
  EXPECT_EQ(offline.exit_code, 0) << offline.stderr_text;
  service::NodeOptions node_options;
  node_options.data_dir = data;
  node_options.index.dim = kDim;
  auto node = service::Node::Open(node_options);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)->store().counts().items(), 2);

  Command usage = RunImportBinary("--items=" + items.string(), in_);
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.stderr_text, HasSubstr("exactly one of --target"));
}

}  // namespace
}  // namespace zhongcao::testing
