// A small catalog for importer tests, written as the files users import
// (CSV, JSON Lines, .npy/.fvecs beside an ids file), and read back from a
// node's store to compare.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "service/node.h"
#include "tools/vectors/vector_file.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::testing {

struct Catalog {
  std::vector<v1::Creator> creators;
  std::vector<v1::Item> items;  // with embeddings
  std::vector<v1::User> users;  // with embeddings
  std::vector<v1::Event> events;
};

inline std::vector<float> RandomVector(int dim, std::mt19937_64& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  return v;
}

// Products, notes that link them and videos; users who follow creators;
// events of every user on some items. Every field the formats carry is set.
inline Catalog MakeCatalog(int dim, int items = 30, int users = 8, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  Catalog c;
  const std::vector<v1::CreatorTier> tiers = {v1::CREATOR_TIER_KOL, v1::CREATOR_TIER_KOC,
                                              v1::CREATOR_TIER_BRAND};
  for (int i = 0; i < 3; ++i) {
    v1::Creator creator;
    creator.set_id(absl::StrCat("c", i));
    creator.set_tier(tiers[i]);
    creator.set_name(
        absl::StrCat("Creator \"", i, "\", of ", i == 0 ? "Shanghai" : "Chengdu"));
    creator.set_region(i == 0 ? "shanghai" : "chengdu");
    creator.set_followers(1000 * (i + 1));
    c.creators.push_back(creator);
  }
  for (int i = 0; i < items; ++i) {
    v1::Item item;
    item.set_id(absl::StrCat(i % 3 == 0 ? "p" : "n", i));
    item.set_created_at_ms(1700000000000 + i * 1000);
    item.set_category(i % 2 == 0 ? "beauty" : "food");
    item.set_title(absl::StrCat("Title ", i, ", with \"quotes\"\nand a second line"));
    for (float x : RandomVector(dim, rng)) item.add_embedding(x);
    if (i % 3 == 0) {
      item.set_kind(v1::ITEM_KIND_PRODUCT);
      v1::ProductInfo& p = *item.mutable_product();
      p.set_brand("Brand");
      p.set_price_cents(100 * i + 99);
      p.set_currency("CNY");
      p.set_stock(i % 2);
      p.set_sales(i * 10);
      p.set_rating(i % 2 == 0 ? 4.5f : 0);
    } else {
      item.set_kind(i % 3 == 1 ? v1::ITEM_KIND_NOTE : v1::ITEM_KIND_VIDEO);
      item.set_creator_id(absl::StrCat("c", i % 3));
      item.add_linked_product_ids(absl::StrCat("p", i - i % 3));
      item.add_regions("shanghai");
      if (i % 2 == 0) item.add_regions("beijing");
      item.add_tags("1111");
      if (i % 5 == 0) item.add_tags("sale");
      item.set_unavailable(i % 7 == 0);
    }
    c.items.push_back(item);
  }
  for (int u = 0; u < users; ++u) {
    v1::User user;
    user.set_id(absl::StrCat("u", u));
    for (float x : RandomVector(dim, rng)) user.add_embedding(x);
    user.set_region(u % 2 == 0 ? "shanghai" : "chengdu");
    user.set_locale("zh-CN");
    user.add_following_creator_ids("c0");
    if (u % 2 == 1) user.add_following_creator_ids("c1");
    if (u % 3 == 0) user.add_blocked_creator_ids("c2");
    user.add_segments(u % 2 == 0 ? "vip" : "new");
    c.users.push_back(user);
    for (int e = 0; e < 3; ++e) {
      v1::Event event;
      event.set_user_id(user.id());
      event.set_item_id(c.items[(u * 3 + e) % c.items.size()].id());
      event.set_type(e == 0 ? v1::EVENT_TYPE_CLICK
                            : (e == 1 ? v1::EVENT_TYPE_DWELL : v1::EVENT_TYPE_PURCHASE));
      event.set_timestamp_ms(1700000100000 + u * 10000 + e * 1000);
      if (e == 1) event.set_dwell_ms(4200);
      event.set_request_id(absl::StrCat("r", u));
      if (e == 2) event.set_region("beijing");
      c.events.push_back(event);
    }
  }
  return c;
}

// One CSV cell, always quoted: the importer must undo the quoting.
inline std::string Cell(const std::string& text) {
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

inline std::string Floats(const google::protobuf::RepeatedField<float>& values) {
  // %.9g prints every float so that it reads back exactly.
  return absl::StrJoin(values, " ", [](std::string* out, float x) {
    absl::StrAppendFormat(out, "%.9g", x);
  });
}

inline std::string Ids(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return absl::StrJoin(ids, "|");
}

inline void WriteLines(const std::filesystem::path& file,
                       const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::binary);
  for (const std::string& line : lines) out << line << "\n";
}

// Items without their embeddings (they go in a keyed file), enums in their
// short forms and times in seconds where the mapping allows.
inline void WriteItemsCsv(const std::filesystem::path& file,
                          const std::vector<v1::Item>& items) {
  std::vector<std::string> lines = {
      "id,kind,creator_id,regions,category,title,created_at,brand,price_cents,"
      "currency,stock,sales,rating,linked_product_ids,tags,unavailable"};
  for (const v1::Item& i : items) {
    const bool product = i.has_product();
    const v1::ProductInfo& p = i.product();
    std::string kind = v1::ItemKind_Name(i.kind()).substr(10);  // "ITEM_KIND_"
    for (char& ch : kind) ch = static_cast<char>(std::tolower(ch));
    lines.push_back(absl::StrJoin(
        std::vector<std::string>{
            Cell(i.id()), kind, i.creator_id(), Ids(i.regions()), i.category(),
            Cell(i.title()), absl::StrFormat("%.3f", i.created_at_ms() / 1000.0),
            product ? p.brand() : "", product ? absl::StrCat(p.price_cents()) : "",
            product ? p.currency() : "", product ? absl::StrCat(p.stock()) : "",
            product ? absl::StrCat(p.sales()) : "",
            product ? absl::StrFormat("%.9g", p.rating()) : "",
            Ids(i.linked_product_ids()), Ids(i.tags()),
            i.unavailable() ? "true" : "false"},
        ","));
  }
  WriteLines(file, lines);
}

inline void WriteUsersCsv(const std::filesystem::path& file,
                          const std::vector<v1::User>& users) {
  std::vector<std::string> lines = {
      "id,embedding,region,locale,following_creator_ids,blocked_creator_ids,segments"};
  for (const v1::User& u : users) {
    lines.push_back(absl::StrJoin(
        std::vector<std::string>{u.id(), Floats(u.embedding()), u.region(), u.locale(),
                                 Ids(u.following_creator_ids()),
                                 Ids(u.blocked_creator_ids()), Ids(u.segments())},
        ","));
  }
  WriteLines(file, lines);
}

inline void WriteCreatorsCsv(const std::filesystem::path& file,
                             const std::vector<v1::Creator>& creators) {
  std::vector<std::string> lines = {"tier,id,name,region,followers"};
  for (const v1::Creator& c : creators) {
    lines.push_back(absl::StrJoin(
        std::vector<std::string>{v1::CreatorTier_Name(c.tier()), c.id(), Cell(c.name()),
                                 c.region(), absl::StrCat(c.followers())},
        ","));
  }
  WriteLines(file, lines);
}

inline void WriteEventsCsv(const std::filesystem::path& file,
                           const std::vector<v1::Event>& events) {
  std::vector<std::string> lines = {
      "user_id,item_id,type,timestamp_ms,dwell_ms,request_id,region"};
  for (const v1::Event& e : events) {
    std::string type = v1::EventType_Name(e.type()).substr(11);  // "EVENT_TYPE_"
    for (char& ch : type) ch = static_cast<char>(std::tolower(ch));
    lines.push_back(absl::StrJoin(
        std::vector<std::string>{
            e.user_id(), e.item_id(), type, absl::StrCat(e.timestamp_ms()),
            e.dwell_ms() ? absl::StrCat(e.dwell_ms()) : "", e.request_id(), e.region()},
        ","));
  }
  WriteLines(file, lines);
}

template <typename Message>
void WriteJsonLines(const std::filesystem::path& file, const std::vector<Message>& rows) {
  std::vector<std::string> lines;
  for (const Message& row : rows) {
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(row, &json).ok());
    lines.push_back(json);
  }
  WriteLines(file, lines);
}

// The embeddings of `rows` as a keyed file (.npy or .fvecs by extension).
template <typename Message>
void WriteKeyedEmbeddings(const std::filesystem::path& matrix,
                          const std::filesystem::path& ids,
                          const std::vector<Message>& rows) {
  tools::VectorSet set;
  set.dim = rows.empty() ? 0 : rows[0].embedding_size();
  for (const Message& row : rows) {
    set.ids.push_back(row.id());
    set.values.insert(set.values.end(), row.embedding().begin(), row.embedding().end());
  }
  ASSERT_TRUE(tools::WriteVectorSet(matrix, ids, set).ok());
}

template <typename Message>
std::vector<Message> WithoutEmbeddings(std::vector<Message> rows) {
  for (Message& row : rows) row.clear_embedding();
  return rows;
}

inline bool SameMessage(const google::protobuf::Message& a,
                        const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// Checks that `node` holds exactly the catalog: every item, user and
// creator field by field (embeddings exactly equal), and every event in
// its user's history.
inline void ExpectStoreHolds(const service::Node& node, const Catalog& c) {
  const store::FeatureStore& store = node.store();
  EXPECT_EQ(store.counts().items(), static_cast<int64_t>(c.items.size()));
  EXPECT_EQ(store.counts().users(), static_cast<int64_t>(c.users.size()));
  EXPECT_EQ(store.counts().creators(), static_cast<int64_t>(c.creators.size()));
  std::vector<std::string> ids;
  for (const v1::Item& item : c.items) ids.push_back(item.id());
  auto records = store.ReadItemsWithEmbeddings(ids);
  ASSERT_TRUE(records.ok()) << records.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_NE((*records)[i].item, nullptr) << ids[i];
    EXPECT_TRUE(SameMessage(*(*records)[i].item, c.items[i]))
        << (*records)[i].item->DebugString() << " vs " << c.items[i].DebugString();
  }
  std::vector<std::string> creator_ids;
  for (const v1::Creator& creator : c.creators) creator_ids.push_back(creator.id());
  auto creators = store.ReadCreators(creator_ids);
  ASSERT_TRUE(creators.ok());
  ASSERT_EQ(creators->size(), c.creators.size());
  for (size_t i = 0; i < c.creators.size(); ++i) {
    EXPECT_TRUE(SameMessage(*(*creators)[i], c.creators[i]))
        << (*creators)[i]->DebugString();
  }
  for (const v1::User& user : c.users) {
    auto record = store.ReadUser(user.id());
    ASSERT_TRUE(record.ok());
    ASSERT_TRUE(record->user.has_value()) << user.id();
    EXPECT_TRUE(SameMessage(*record->user, user)) << record->user->DebugString();
    std::vector<std::string> expected, got;
    for (const v1::Event& e : c.events) {
      if (e.user_id() != user.id()) continue;
      expected.push_back(absl::StrCat(e.item_id(), "/", e.type(), "/", e.timestamp_ms()));
    }
    for (const auto& e : record->history.events()) {
      got.push_back(absl::StrCat(e.item_id(), "/", e.type(), "/", e.timestamp_ms()));
    }
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected) << user.id();
  }
}

}  // namespace zhongcao::testing
