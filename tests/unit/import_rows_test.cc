// The importer's file readers: CSV records with the line each starts on,
// the CSV column mapping onto zhongcao.v1 messages, JSON Lines rows, and
// every unreadable row reported with its line number.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/import/csv_mapping.h"
#include "tools/import/csv_reader.h"
#include "tools/import/row_reader.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::tools {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Record {
  int64_t line;
  std::vector<std::string> fields;
  std::string error;
};

std::vector<Record> ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<Record> records;
  CsvRecord record;
  while (true) {
    absl::StatusOr<bool> next = reader.Next(record);
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !*next) break;
    records.push_back({record.line, record.fields, record.error});
  }
  return records;
}

TEST(CsvReaderTest, QuotedFields_KeepCommasQuotesAndLineBreaks) {
  const std::vector<Record> records = ReadAll(
      "id,title\n"
      "a,\"Hello, \"\"world\"\"\"\n"
      "b,\"two\nlines\"\n"
      "c,plain\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].fields, ElementsAre("a", "Hello, \"world\""));
  EXPECT_THAT(records[2].fields, ElementsAre("b", "two\nlines"));
  EXPECT_THAT(records[3].fields, ElementsAre("c", "plain"));
  // A record is reported where it starts, and the one after a multi-line
  // record where it starts too.
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[3].line, 5);
}

TEST(CsvReaderTest, BlankLinesCrLfBomAndNoFinalNewline) {
  const std::vector<Record> records = ReadAll(
      "\xEF\xBB\xBFid,x\r\n\r\n"
      "a,1\r\n"
      "\n"
      "b,2");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("id", "x"));
  EXPECT_EQ(records[1].line, 3);
  EXPECT_THAT(records[1].fields, ElementsAre("a", "1"));
  EXPECT_EQ(records[2].line, 5);
  EXPECT_THAT(records[2].fields, ElementsAre("b", "2"));
}

TEST(CsvReaderTest, MalformedQuoting_ReportedAtItsLineAndReadingGoesOn) {
  const std::vector<Record> records = ReadAll(
      "id,title\n"
      "a,bad\"quote\n"
      "b,\"closed\"trailing\n"
      "c,fine\n"
      "d,\"never closed\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_THAT(records[1].error, HasSubstr("malformed quoting"));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_THAT(records[2].error, HasSubstr("malformed quoting"));
  EXPECT_EQ(records[3].line, 4);
  EXPECT_TRUE(records[3].error.empty());
  EXPECT_THAT(records[3].fields, ElementsAre("c", "fine"));
  EXPECT_EQ(records[4].line, 5);
  EXPECT_THAT(records[4].error, HasSubstr("not closed"));
}

absl::StatusOr<CsvMapping> Mapping(const google::protobuf::Descriptor& type,
                                   std::vector<std::string> header) {
  return CsvMapping::FromHeader(type, header);
}

TEST(CsvMappingTest, Item_EveryDocumentedColumnFillsItsField) {
  auto mapping =
      Mapping(*v1::Item::descriptor(),
              {"id", "kind", "creator_id", "regions", "category", "title", "embedding",
               "created_at_ms", "brand", "product.price_cents", "currency", "stock",
               "sales", "rating", "linked_product_ids", "tags", "unavailable"});
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  v1::Item item;
  ASSERT_TRUE(
      mapping
          ->Fill(std::vector<std::string>{"p1", "product", "c1", "shanghai|beijing",
                                          "beauty", "Lipstick", "0.5 -1 2e-3",
                                          "1700000000123", "Mac", "1999", "CNY", "7",
                                          "30", "4.5", "", "1111|sale", "no"},
                 item)
          .ok());
  EXPECT_EQ(item.id(), "p1");
  EXPECT_EQ(item.kind(), v1::ITEM_KIND_PRODUCT);
  EXPECT_EQ(item.creator_id(), "c1");
  EXPECT_THAT(item.regions(), ElementsAre("shanghai", "beijing"));
  EXPECT_EQ(item.category(), "beauty");
  EXPECT_EQ(item.title(), "Lipstick");
  EXPECT_THAT(item.embedding(), ElementsAre(0.5f, -1.0f, 2e-3f));
  EXPECT_EQ(item.created_at_ms(), 1700000000123);
  EXPECT_EQ(item.product().brand(), "Mac");
  EXPECT_EQ(item.product().price_cents(), 1999);
  EXPECT_EQ(item.product().currency(), "CNY");
  EXPECT_EQ(item.product().stock(), 7);
  EXPECT_EQ(item.product().sales(), 30);
  EXPECT_FLOAT_EQ(item.product().rating(), 4.5f);
  EXPECT_TRUE(item.linked_product_ids().empty());
  EXPECT_THAT(item.tags(), ElementsAre("1111", "sale"));
  EXPECT_FALSE(item.unavailable());
}

TEST(CsvMappingTest, EmptyCellsLeaveFieldsUnset) {
  auto mapping = Mapping(*v1::Item::descriptor(), {"id", "kind", "brand", "tags"});
  ASSERT_TRUE(mapping.ok());
  v1::Item item;
  ASSERT_TRUE(mapping->Fill(std::vector<std::string>{"n1", "note", "", ""}, item).ok());
  EXPECT_FALSE(item.has_product());
  EXPECT_TRUE(item.tags().empty());
}

TEST(CsvMappingTest, Enums_ByNameOrShortForm) {
  auto mapping = Mapping(*v1::Event::descriptor(), {"user_id", "item_id", "type"});
  ASSERT_TRUE(mapping.ok());
  for (const auto& [text, type] : std::vector<std::pair<std::string, v1::EventType>>{
           {"EVENT_TYPE_PURCHASE", v1::EVENT_TYPE_PURCHASE},
           {"click", v1::EVENT_TYPE_CLICK},
           {"Add-To-Cart", v1::EVENT_TYPE_ADD_TO_CART},
           {"add_to_cart", v1::EVENT_TYPE_ADD_TO_CART}}) {
    v1::Event event;
    ASSERT_TRUE(mapping->Fill(std::vector<std::string>{"u", "i", text}, event).ok())
        << text;
    EXPECT_EQ(event.type(), type) << text;
  }
  auto tiers = Mapping(*v1::Creator::descriptor(), {"id", "tier"});
  ASSERT_TRUE(tiers.ok());
  v1::Creator creator;
  ASSERT_TRUE(tiers->Fill(std::vector<std::string>{"c", "brand_staff"}, creator).ok());
  EXPECT_EQ(creator.tier(), v1::CREATOR_TIER_BRAND_STAFF);
  v1::Event event;
  absl::Status bad = mapping->Fill(std::vector<std::string>{"u", "i", "clack"}, event);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("type: unknown value \"clack\""));
  EXPECT_THAT(std::string(bad.message()), HasSubstr("click"));
}

TEST(CsvMappingTest, SecondsColumn_FillsTheMillisecondsField) {
  auto mapping = Mapping(*v1::Event::descriptor(), {"user_id", "item_id", "timestamp"});
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  v1::Event event;
  ASSERT_TRUE(
      mapping->Fill(std::vector<std::string>{"u", "i", "1700000000.25"}, event).ok());
  EXPECT_EQ(event.timestamp_ms(), 1700000000250);
  ASSERT_TRUE(
      mapping->Fill(std::vector<std::string>{"u", "i", "1700000001"}, event).ok());
  EXPECT_EQ(event.timestamp_ms(), 1700000001000);
}

TEST(CsvMappingTest, Header_UnknownOrRepeatedColumnsAreRefused) {
  auto unknown = Mapping(*v1::Item::descriptor(), {"id", "titel"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("column \"titel\" is not known"));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("product.brand"));
  auto twice = Mapping(*v1::Event::descriptor(), {"timestamp", "timestamp_ms"});
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("fill the same field"));
  auto message = Mapping(*v1::Item::descriptor(), {"id", "product"});
  EXPECT_THAT(std::string(message.status().message()), HasSubstr("is a message"));
}

TEST(CsvMappingTest, BadCells_NameTheColumn) {
  auto mapping = Mapping(*v1::Item::descriptor(),
                         {"id", "created_at_ms", "embedding", "unavailable"});
  ASSERT_TRUE(mapping.ok());
  v1::Item item;
  EXPECT_EQ(mapping->Fill(std::vector<std::string>{"a", "soon", "", ""}, item).message(),
            "created_at_ms: \"soon\" is not an integer");
  EXPECT_EQ(mapping->Fill(std::vector<std::string>{"a", "", "1 x 3", ""}, item).message(),
            "embedding[1]: \"x\" is not a number");
  EXPECT_EQ(mapping->Fill(std::vector<std::string>{"a", "", "", "maybe"}, item).message(),
            "unavailable: \"maybe\" is not a boolean (true/false, 1/0, yes/no)");
  EXPECT_EQ(mapping->Fill(std::vector<std::string>{"a", "1"}, item).message(),
            "csv: has 2 fields, the header has 4");
}

class RowReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("import_rows_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

  // Each row as "LINE id" or "LINE error".
  template <typename Row>
  std::vector<std::string> Rows(const fs::path& file) {
    auto reader = RowReader::Open(file, *Row::descriptor());
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<std::string> rows;
    if (!reader.ok()) return rows;
    Row row;
    RowInfo info;
    while (true) {
      absl::StatusOr<bool> next = (*reader)->Next(row, info);
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok() || !*next) break;
      rows.push_back(std::to_string(info.line) + " " +
                     (info.error.empty() ? row.id() : info.error));
    }
    EXPECT_EQ((*reader)->bytes_read(), (*reader)->file_bytes());
    return rows;
  }

  fs::path dir_;
};

TEST_F(RowReaderTest, JsonLines_ProtobufMappingAndErrorsByLine) {
  const fs::path file =
      Write("users.jsonl",
            "{\"id\": \"u1\", \"region\": \"shanghai\", \"embedding\": [1, 2]}\n"
            "\n"
            "{\"id\": \"u2\", \"followingCreatorIds\": [\"c1\"]}\n"
            "{\"id\": \"u3\", \"regoin\": \"x\"}\n"
            "{\"id\": \"u4\",\n"
            "{\"id\": \"u6\", \"embedding\": [1, \"x\"]}\n");
  EXPECT_THAT(
      Rows<v1::User>(file),
      ElementsAre("1 u1", "3 u2", "4 regoin: Cannot find field.",
                  "5 json: Unexpected end of string. Expected an object key or }.",
                  ::testing::StartsWith("6 embedding[1]: invalid value")));
}

TEST_F(RowReaderTest, Csv_RowsAndErrorsByLine) {
  const fs::path file = Write("items.csv",
                              "id,kind,title\n"
                              "n1,note,\"first\nsecond\"\n"
                              "n2,nope,x\n"
                              "n3,video\n"
                              "n4,live,ok\n");
  EXPECT_THAT(Rows<v1::Item>(file),
              ElementsAre("2 n1", ::testing::StartsWith("4 kind: unknown value \"nope\""),
                          "5 csv: has 2 fields, the header has 3", "6 n4"));
}

TEST_F(RowReaderTest, BadHeaderOrFormat_RefusesTheFile) {
  auto bad_header =
      RowReader::Open(Write("items.csv", "id,colour\nn1,red\n"), *v1::Item::descriptor());
  EXPECT_EQ(bad_header.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_header.status().message()),
              HasSubstr("items.csv:1: header: column \"colour\" is not known"));
  auto format = RowReader::Open(Write("items.xml", "<items/>"), *v1::Item::descriptor());
  EXPECT_THAT(std::string(format.status().message()), HasSubstr("unknown format"));
  auto missing = RowReader::Open(dir_ / "none.csv", *v1::Item::descriptor());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace zhongcao::tools
