// Unit tests of store::FeatureStore: rows and counts, reopening, deletes and
// secondary keys, newest-item and tag scans, event counters and histories,
// the item change log and meta values. Trending: trending_test.cc.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/feature_store.h"

namespace zhongcao::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::Item MakeItem(const std::string& id, const std::string& creator,
                  int64_t created_at_ms, v1::ItemKind kind = v1::ITEM_KIND_NOTE) {
  v1::Item item;
  item.set_id(id);
  item.set_kind(kind);
  item.set_creator_id(creator);
  item.set_created_at_ms(created_at_ms);
  item.set_title("title of " + id);
  for (int i = 0; i < 4; ++i) item.add_embedding(0.25f * i);
  return item;
}

v1::User MakeUser(const std::string& id, const std::string& region) {
  v1::User user;
  user.set_id(id);
  user.set_region(region);
  user.add_embedding(1.0f);
  user.add_following_creator_ids("c1");
  return user;
}

v1::Creator MakeCreator(const std::string& id, int64_t followers) {
  v1::Creator creator;
  creator.set_id(id);
  creator.set_name("name of " + id);
  creator.set_tier(v1::CREATOR_TIER_KOC);
  creator.set_followers(followers);
  return creator;
}

v1::Event MakeEvent(const std::string& user, const std::string& item, v1::EventType type,
                    int64_t ts, int64_t dwell_ms = 0) {
  v1::Event event;
  event.set_user_id(user);
  event.set_item_id(item);
  event.set_type(type);
  event.set_timestamp_ms(ts);
  event.set_dwell_ms(dwell_ms);
  return event;
}

std::vector<std::string> IdsOf(const std::vector<TimedItemId>& items) {
  std::vector<std::string> ids;
  for (const TimedItemId& t : items) ids.push_back(t.item_id);
  return ids;
}

std::vector<std::string> IdsOf(const std::vector<v1::Item>& items) {
  std::vector<std::string> ids;
  for (const v1::Item& item : items) ids.push_back(item.id());
  return ids;
}

class FeatureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("zhongcao_store_test_") + info->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    Reopen();
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Closes the store (if open) and opens it again on the same directory.
  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.dir = dir_;
    options.history_limit = history_limit_;
    options.block_cache_bytes = 8 << 20;
    // fsync only makes a difference on power loss, which no unit test can
    // simulate; a clean close flushes either way. Without it the suite
    // runs in a second instead of many on a busy disk.
    options.sync_writes = sync_writes_;
    options.item_cache_bytes = item_cache_bytes_;
    absl::StatusOr<std::unique_ptr<FeatureStore>> store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  ItemWriteResult Upsert(const std::vector<v1::Item>& items) {
    absl::StatusOr<ItemWriteResult> result = store_->UpsertItems(items);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ItemWriteResult{};
  }

  ItemWriteResult Delete(const std::vector<std::string>& ids) {
    absl::StatusOr<ItemWriteResult> result = store_->DeleteItems(ids);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ItemWriteResult{};
  }

  size_t ItemCacheBytes() const {
    return static_cast<size_t>(store_->health().item_cache_bytes);
  }

  std::vector<ItemRecord> Read(const std::vector<std::string>& ids) {
    absl::StatusOr<std::vector<ItemRecord>> records = store_->ReadItems(ids);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *std::move(records) : std::vector<ItemRecord>{};
  }

  std::vector<ItemRecord> ReadWithEmbeddings(const std::vector<std::string>& ids) {
    absl::StatusOr<std::vector<ItemRecord>> records =
        store_->ReadItemsWithEmbeddings(ids);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *std::move(records) : std::vector<ItemRecord>{};
  }

  std::vector<std::string> Newest(int limit) {
    absl::StatusOr<std::vector<TimedItemId>> newest = store_->NewestItems(limit);
    EXPECT_TRUE(newest.ok()) << newest.status();
    return newest.ok() ? IdsOf(*newest) : std::vector<std::string>{};
  }

  std::vector<std::string> NewestOf(absl::string_view creator, int64_t since_ms = 0,
                                    int limit = 100) {
    const absl::string_view creators[] = {creator};
    absl::StatusOr<std::vector<std::vector<TimedItemId>>> newest =
        store_->NewestItemsOfCreators(creators, since_ms, limit);
    EXPECT_TRUE(newest.ok()) << newest.status();
    return newest.ok() ? IdsOf(newest->at(0)) : std::vector<std::string>{};
  }

  std::vector<std::string> ChangedAfter(uint64_t after) {
    absl::StatusOr<std::vector<std::string>> ids = store_->ItemsChangedAfter(after);
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *std::move(ids) : std::vector<std::string>{};
  }

  std::vector<std::string> AllItemIds() {
    std::vector<std::string> ids;
    EXPECT_TRUE(store_
                    ->ForEachItem([&](const v1::Item& item) {
                      ids.push_back(item.id());
                      return absl::OkStatus();
                    })
                    .ok());
    return ids;
  }

  // Stores `items` and one click on `clicked`, reopens with an empty item
  // cache, and warms it.
  FeatureStore::CacheWarmth WarmAfterOneClick(const std::vector<v1::Item>& items,
                                              const std::string& clicked) {
    Upsert(items);
    EXPECT_TRUE(store_
                    ->RecordEvents(std::vector<v1::Event>{
                        MakeEvent("u1", clicked, v1::EVENT_TYPE_CLICK, 1000)})
                    .ok());
    Reopen();
    EXPECT_EQ(ItemCacheBytes(), 0u);
    const std::atomic<bool> stop = false;
    absl::StatusOr<FeatureStore::CacheWarmth> warmth = store_->WarmItemCache(stop);
    EXPECT_TRUE(warmth.ok()) << warmth.status();
    return warmth.ok() ? *warmth : FeatureStore::CacheWarmth{};
  }

  void ExpectCounts(int64_t items, int64_t users, int64_t creators) {
    const Counts counts = store_->counts();
    EXPECT_EQ(counts.items(), items);
    EXPECT_EQ(counts.users(), users);
    EXPECT_EQ(counts.creators(), creators);
  }

  fs::path dir_;
  int history_limit_ = 1000;
  bool sync_writes_ = false;
  size_t item_cache_bytes_ = StoreOptions().item_cache_bytes;
  std::unique_ptr<FeatureStore> store_;
};

// ---------------------------------------------------------------------------
// Rows and counts

TEST_F(FeatureStoreTest, ReadItems_PreservesOrderUnknownIdsAreEmptyEmbeddingsLeftOut) {
  const v1::Item a = MakeItem("a", "c1", 100, v1::ITEM_KIND_PRODUCT);
  const v1::Item b = MakeItem("b", "", 200, v1::ITEM_KIND_VIDEO);
  const ItemWriteResult result = Upsert({a, b});
  EXPECT_EQ(result.changed, 2);
  auto without_embedding = [](v1::Item item) {
    item.clear_embedding();
    return item.SerializeAsString();
  };

  // Twice: the first read fills the row cache, the second reads from it.
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<ItemRecord> records = Read({"b", "nope", "a", "b"});
    ASSERT_EQ(records.size(), 4u);
    ASSERT_TRUE(records[0].item != nullptr);
    EXPECT_EQ(records[0].item->SerializeAsString(), without_embedding(b));
    EXPECT_FALSE(records[1].item != nullptr);
    EXPECT_EQ(records[1].counters->impressions(), 0u);
    ASSERT_TRUE(records[2].item != nullptr);
    EXPECT_EQ(records[2].item->SerializeAsString(), without_embedding(a));
    ASSERT_TRUE(records[3].item != nullptr);
    EXPECT_EQ(records[3].item->id(), "b");
  }
  EXPECT_TRUE(Read({}).empty());

  const std::vector<ItemRecord> full = ReadWithEmbeddings({"b", "nope", "a"});
  ASSERT_EQ(full.size(), 3u);
  ASSERT_TRUE(full[0].item != nullptr);
  EXPECT_EQ(full[0].item->SerializeAsString(), b.SerializeAsString());
  EXPECT_TRUE(full[1].item == nullptr);
  ASSERT_TRUE(full[2].item != nullptr);
  EXPECT_EQ(full[2].item->SerializeAsString(), a.SerializeAsString());
  EXPECT_TRUE(ReadWithEmbeddings({}).empty());
}

// ReadItems answers hot items from a row cache; every write after a read
// must show in the next read.
TEST_F(FeatureStoreTest, ReadItems_CachedRowsFollowUpsertsDeletesAndEvents) {
  const std::vector<std::string> ids = {"a", "b"};
  Upsert({MakeItem("a", "c1", 1)});
  auto first = store_->ReadItems(ids);  // caches a, and b as absent
  ASSERT_TRUE(first.ok());
  ASSERT_NE((*first)[0].item, nullptr);
  EXPECT_EQ((*first)[1].item, nullptr);
  // An absent id still has counters, all zero.
  ASSERT_NE((*first)[1].counters, nullptr);
  EXPECT_EQ((*first)[1].counters->clicks(), 0u);
  // A second read is served from the cache: the same row, not a copy.
  auto again = store_->ReadItems(ids);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].item, (*first)[0].item);
  EXPECT_EQ((*again)[0].counters, (*first)[0].counters);

  v1::Item changed = MakeItem("a", "c2", 5);
  Upsert({changed, MakeItem("b", "c1", 2)});
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, 1000)})
                  .ok());
  auto second = store_->ReadItems(ids);
  ASSERT_TRUE(second.ok());
  ASSERT_NE((*second)[0].item, nullptr);
  EXPECT_EQ((*second)[0].item->creator_id(), "c2");
  EXPECT_EQ((*second)[0].counters->clicks(), 1u);
  ASSERT_NE((*second)[1].item, nullptr);
  // A row handed out before a write keeps its old value: it is shared, not
  // changed in place.
  EXPECT_EQ((*first)[0].item->creator_id(), "c1");
  EXPECT_EQ((*first)[0].counters->clicks(), 0u);

  Delete({"a"});
  auto third = store_->ReadItems(ids);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)[0].item, nullptr);
  EXPECT_EQ((*third)[0].counters->clicks(), 0u);
}

// Readers filling the cache while a writer changes the same item must not
// leave a stale row behind: the last read after the writer stops sees the
// last write.
TEST_F(FeatureStoreTest, ReadItems_ConcurrentReadersNeverCacheAStaleRow) {
  const std::vector<std::string> ids = {"hot"};
  Upsert({MakeItem("hot", "c0", 1)});
  std::atomic<bool> done = false;
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto read = store_->ReadItems(ids);
        ASSERT_TRUE(read.ok());
        ASSERT_NE((*read)[0].item, nullptr);
      }
    });
  }
  constexpr int kWrites = 600;
  for (int i = 1; i <= kWrites; ++i) {
    Upsert({MakeItem("hot", "c" + std::to_string(i), 1)});
    ASSERT_TRUE(store_
                    ->RecordEvents(std::vector<v1::Event>{
                        MakeEvent("u1", "hot", v1::EVENT_TYPE_CLICK, 1000 + i)})
                    .ok());
  }
  done = true;
  for (std::thread& t : readers) t.join();
  auto last = store_->ReadItems(ids);
  ASSERT_TRUE(last.ok());
  ASSERT_NE((*last)[0].item, nullptr);
  EXPECT_EQ((*last)[0].item->creator_id(), "c" + std::to_string(kWrites));
  EXPECT_EQ((*last)[0].counters->clicks(), static_cast<uint64_t>(kWrites));
}

std::vector<v1::Item> NumberedItems(int n, const std::string& creator) {
  std::vector<v1::Item> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(MakeItem("i" + std::to_string(10000 + i), creator, 1 + i));
  }
  return items;
}

TEST_F(FeatureStoreTest, WarmItemCache_ReadsEveryItemTheCacheHolds) {
  const std::vector<v1::Item> items = NumberedItems(50, "c1");
  const FeatureStore::CacheWarmth warmth = WarmAfterOneClick(items, "i10007");
  EXPECT_EQ(warmth.items, 50);
  EXPECT_GT(warmth.bytes, 0u);
  EXPECT_EQ(ItemCacheBytes(), warmth.bytes);
  // Every read is now answered by the cache: nothing more is filled.
  const std::vector<ItemRecord> read = Read(IdsOf(items));
  EXPECT_EQ(ItemCacheBytes(), warmth.bytes);
  ASSERT_EQ(read.size(), 50u);
  for (size_t i = 0; i < read.size(); ++i) {
    ASSERT_NE(read[i].item, nullptr);
    EXPECT_EQ(read[i].item->id(), items[i].id());
    EXPECT_EQ(read[i].item->title(), items[i].title());
    EXPECT_TRUE(read[i].item->embedding().empty());
  }
  EXPECT_EQ(read[7].counters->clicks(), 1u);
}

TEST_F(FeatureStoreTest, WarmItemCache_StopsBeforeTheCacheIsFull) {
  item_cache_bytes_ = 64 << 10;  // 1 KiB per shard: a few items each
  Reopen();
  Upsert(NumberedItems(3000, "c1"));
  Reopen();
  const std::atomic<bool> stop = false;
  absl::StatusOr<FeatureStore::CacheWarmth> warmth = store_->WarmItemCache(stop);
  ASSERT_TRUE(warmth.ok()) << warmth.status();
  EXPECT_GT(warmth->items, 0);
  EXPECT_LT(warmth->items, 3000);
  EXPECT_GT(warmth->bytes, 0u);
  EXPECT_LE(warmth->bytes, item_cache_bytes_);
}

// The items users act on are warmed before the rest: here the last ones in
// key order, which a scan in key order would not reach before the cache is
// full.
TEST_F(FeatureStoreTest, WarmItemCache_ItemsWithTheMostEventsFirst) {
  item_cache_bytes_ = 1 << 20;  // 16 KiB per shard: ~20 items each
  Reopen();
  const std::vector<v1::Item> items = NumberedItems(3000, "c1");
  Upsert(items);
  std::vector<std::string> engaged;
  std::vector<v1::Event> events;
  for (size_t i = items.size() - 20; i < items.size(); ++i) {
    engaged.push_back(items[i].id());
    events.push_back(MakeEvent("u1", items[i].id(), v1::EVENT_TYPE_CLICK, 1000));
  }
  ASSERT_TRUE(store_->RecordEvents(events).ok());
  Reopen();
  const std::atomic<bool> stop = false;
  absl::StatusOr<FeatureStore::CacheWarmth> warmth = store_->WarmItemCache(stop);
  ASSERT_TRUE(warmth.ok()) << warmth.status();
  EXPECT_LT(warmth->items, 3000);
  const FeatureStore::Health before = store_->health();
  ASSERT_TRUE(store_->ReadItems(engaged).ok());
  const FeatureStore::Health after = store_->health();
  EXPECT_EQ(after.item_cache_hits - before.item_cache_hits, 20);
}

TEST_F(FeatureStoreTest, WarmItemCache_StoppedOrWithoutACacheReadsNothing) {
  Upsert(NumberedItems(10, "c1"));
  Reopen();
  const std::atomic<bool> stop = true;
  absl::StatusOr<FeatureStore::CacheWarmth> stopped = store_->WarmItemCache(stop);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->items, 0);
  EXPECT_EQ(ItemCacheBytes(), 0u);

  item_cache_bytes_ = 0;
  Reopen();
  const std::atomic<bool> go = false;
  absl::StatusOr<FeatureStore::CacheWarmth> uncached = store_->WarmItemCache(go);
  ASSERT_TRUE(uncached.ok()) << uncached.status();
  EXPECT_EQ(uncached->items, 0);
  EXPECT_EQ(uncached->bytes, 0u);
}

// A scan that read an item before a write must not cache that older row
// after it: once the writer is done, every read sees the last write.
TEST_F(FeatureStoreTest, WarmItemCache_NeverCachesARowOlderThanAWrite) {
  const std::vector<v1::Item> items = NumberedItems(2000, "c0");
  Upsert(items);
  Reopen();
  std::atomic<bool> written = false;
  const std::atomic<bool> stop = false;
  std::thread warmer([&] {
    do {
      absl::StatusOr<FeatureStore::CacheWarmth> warmth = store_->WarmItemCache(stop);
      ASSERT_TRUE(warmth.ok()) << warmth.status();
    } while (!written.load());
  });
  for (int round = 1; round <= 3; ++round) {
    for (size_t begin = 0; begin < items.size(); begin += 100) {
      std::vector<v1::Item> chunk(items.begin() + begin, items.begin() + begin + 100);
      for (v1::Item& item : chunk) item.set_creator_id("c" + std::to_string(round));
      Upsert(chunk);
    }
  }
  written = true;
  warmer.join();
  const std::vector<ItemRecord> read = Read(IdsOf(items));
  ASSERT_EQ(read.size(), items.size());
  for (const ItemRecord& record : read) {
    ASSERT_NE(record.item, nullptr);
    EXPECT_EQ(record.item->creator_id(), "c3") << record.item->id();
  }
}

TEST_F(FeatureStoreTest, UpsertUsers_ReadUser_RoundTripAndUnknownIsEmpty) {
  const v1::User u1 = MakeUser("u1", "cn");
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{u1, MakeUser("u2", "sg")}).ok());
  absl::StatusOr<UserRecord> record = store_->ReadUser("u1");
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE(record->user.has_value());
  EXPECT_EQ(record->user->SerializeAsString(), u1.SerializeAsString());
  EXPECT_EQ(record->history.events_size(), 0);

  // Replacing a user replaces every field.
  v1::User changed = MakeUser("u1", "my");
  changed.clear_following_creator_ids();
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{changed}).ok());
  record = store_->ReadUser("u1");
  ASSERT_TRUE(record.ok() && record->user.has_value());
  EXPECT_EQ(record->user->region(), "my");
  EXPECT_EQ(record->user->following_creator_ids_size(), 0);

  record = store_->ReadUser("stranger");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(record->user.has_value());
  EXPECT_EQ(record->history.events_size(), 0);
}

TEST_F(FeatureStoreTest, UpsertCreators_ReadCreators_UnknownAbsentOrderKept) {
  ASSERT_TRUE(store_
                  ->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 10),
                                                            MakeCreator("c2", 20)})
                  .ok());
  auto creators = store_->ReadCreators(std::vector<std::string>{"c2", "ghost", "c1"});
  ASSERT_TRUE(creators.ok()) << creators.status();
  ASSERT_EQ(creators->size(), 2u);
  EXPECT_EQ((*creators)[0]->id(), "c2");
  EXPECT_EQ((*creators)[0]->followers(), 20);
  EXPECT_EQ((*creators)[1]->id(), "c1");
  EXPECT_EQ((*creators)[1]->name(), "name of c1");
  EXPECT_EQ((*creators)[1]->tier(), v1::CREATOR_TIER_KOC);
}

TEST_F(FeatureStoreTest, ReadCreators_AfterUpsert_SeesTheNewRowNotTheCachedOne) {
  ASSERT_TRUE(
      store_->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 10)}).ok());
  auto before = store_->ReadCreators(std::vector<std::string>{"c1"});
  ASSERT_TRUE(before.ok() && before->size() == 1u);
  EXPECT_EQ((*before)[0]->followers(), 10);
  ASSERT_TRUE(
      store_->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 99)}).ok());
  auto after = store_->ReadCreators(std::vector<std::string>{"c1"});
  ASSERT_TRUE(after.ok() && after->size() == 1u);
  EXPECT_EQ((*after)[0]->followers(), 99);
  EXPECT_EQ((*before)[0]->followers(), 10);  // a reader's row does not change under it
}

TEST_F(FeatureStoreTest, Counts_ExactAfterInsertsReplacementsAndDeletes) {
  ExpectCounts(0, 0, 0);
  Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2), MakeItem("c", "c2", 3)});
  ExpectCounts(3, 0, 0);
  // Replacements do not count; an id twice in one batch counts once.
  Upsert({MakeItem("a", "c1", 5), MakeItem("d", "c1", 6), MakeItem("d", "c2", 7)});
  ExpectCounts(4, 0, 0);
  // Unknown and repeated ids in a delete count only once, if at all.
  const ItemWriteResult deleted = Delete({"b", "zzz", "b"});
  EXPECT_EQ(deleted.changed, 1);
  ExpectCounts(3, 0, 0);
  // Re-inserting a deleted id counts again.
  Upsert({MakeItem("b", "c1", 8)});
  ExpectCounts(4, 0, 0);

  ASSERT_TRUE(store_
                  ->UpsertUsers(std::vector<v1::User>{
                      MakeUser("u1", "cn"), MakeUser("u2", "cn"), MakeUser("u1", "sg")})
                  .ok());
  ASSERT_TRUE(
      store_
          ->UpsertUsers(std::vector<v1::User>{MakeUser("u2", "my"), MakeUser("u3", "my")})
          .ok());
  ASSERT_TRUE(store_
                  ->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 1),
                                                            MakeCreator("c1", 2)})
                  .ok());
  ASSERT_TRUE(
      store_->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 3)}).ok());
  ExpectCounts(4, 3, 1);

  Reopen();
  ExpectCounts(4, 3, 1);
  // Counting continues correctly after the reopen.
  Upsert({MakeItem("a", "c1", 9), MakeItem("e", "c1", 10)});
  Delete({"c"});
  ExpectCounts(4, 3, 1);
  EXPECT_THAT(AllItemIds(), ElementsAre("a", "b", "d", "e"));
  Reopen();
  ExpectCounts(4, 3, 1);
}

TEST_F(FeatureStoreTest, Reopen_DataSurvives) {
  Upsert({MakeItem("a", "c1", 100), MakeItem("b", "c2", 200)});
  ASSERT_TRUE(store_->UpsertUsers(std::vector<v1::User>{MakeUser("u1", "cn")}).ok());
  ASSERT_TRUE(
      store_->UpsertCreators(std::vector<v1::Creator>{MakeCreator("c1", 5)}).ok());
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, 1000)})
                  .ok());
  ASSERT_TRUE(store_->PutMeta("dim", "64").ok());
  const uint64_t sequence = store_->LastSequence();

  Reopen();
  const std::vector<ItemRecord> records = ReadWithEmbeddings({"a", "b"});
  ASSERT_EQ(records.size(), 2u);
  ASSERT_TRUE(records[0].item != nullptr);
  EXPECT_EQ(records[0].item->SerializeAsString(),
            MakeItem("a", "c1", 100).SerializeAsString());
  EXPECT_EQ(records[0].counters->clicks(), 1u);
  ASSERT_TRUE(records[1].item != nullptr);
  absl::StatusOr<UserRecord> user = store_->ReadUser("u1");
  ASSERT_TRUE(user.ok() && user->user.has_value());
  EXPECT_EQ(user->user->region(), "cn");
  ASSERT_EQ(user->history.events_size(), 1);
  EXPECT_EQ(user->history.events(0).item_id(), "a");
  auto creators = store_->ReadCreators(std::vector<std::string>{"c1"});
  ASSERT_TRUE(creators.ok());
  EXPECT_EQ(creators->size(), 1u);
  EXPECT_THAT(Newest(10), ElementsAre("b", "a"));
  EXPECT_THAT(NewestOf("c1"), ElementsAre("a"));
  EXPECT_EQ(store_->LastSequence(), sequence);
  absl::StatusOr<std::optional<std::string>> dim = store_->GetMeta("dim");
  ASSERT_TRUE(dim.ok() && dim->has_value());
  EXPECT_EQ(**dim, "64");
}

// CompactAll folds merge operands into their rows; what reads return must
// not change, before or after a reopen.
TEST_F(FeatureStoreTest, CompactAll_ReadsAnswerAsBefore) {
  Upsert({MakeItem("a", "c1", 100), MakeItem("b", "c1", 200)});
  for (int batch = 0; batch < 3; ++batch) {
    ASSERT_TRUE(store_
                    ->RecordEvents(std::vector<v1::Event>{
                        MakeEvent("u1", "a", v1::EVENT_TYPE_CLICK, 1000 + 10 * batch),
                        MakeEvent("u1", "b", v1::EVENT_TYPE_LIKE, 1001 + 10 * batch)})
                    .ok());
  }
  const std::vector<std::string> ids = {"a", "b"};
  auto covisit_before = store_->ReadCovisit(ids, 5000);
  ASSERT_TRUE(covisit_before.ok());
  ASSERT_FALSE((*covisit_before)[0].neighbors.empty());

  // The write-ahead log in use: the newest by file number. The writes
  // above are in it; after CompactAll they are in table files and a fresh
  // log is empty, so a reopen has nothing to replay.
  auto newest_log_bytes = [&] {
    fs::path newest;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() == ".log" && entry.path() > newest) {
        newest = entry.path();
      }
    }
    return newest.empty() ? uintmax_t{0} : fs::file_size(newest);
  };
  EXPECT_GT(newest_log_bytes(), 0u);

  ASSERT_TRUE(store_->CompactAll().ok());
  EXPECT_EQ(newest_log_bytes(), 0u);
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<ItemRecord> records = ReadWithEmbeddings(ids);
    ASSERT_TRUE(records[0].item != nullptr && records[1].item != nullptr);
    EXPECT_EQ(records[0].item->SerializeAsString(),
              MakeItem("a", "c1", 100).SerializeAsString());
    EXPECT_EQ(records[0].counters->clicks(), 3u);
    EXPECT_EQ(records[1].counters->likes(), 3u);
    absl::StatusOr<UserRecord> user = store_->ReadUser("u1");
    ASSERT_TRUE(user.ok());
    EXPECT_EQ(user->history.events_size(), 6);
    auto covisit = store_->ReadCovisit(ids, 5000);
    ASSERT_TRUE(covisit.ok());
    for (size_t i = 0; i < ids.size(); ++i) {
      const CovisitRow& row = (*covisit)[i];
      const CovisitRow& before = (*covisit_before)[i];
      ASSERT_EQ(row.neighbors.size(), before.neighbors.size()) << ids[i];
      for (size_t j = 0; j < row.neighbors.size(); ++j) {
        EXPECT_EQ(row.neighbors[j].first, before.neighbors[j].first);
        EXPECT_NEAR(row.neighbors[j].second, before.neighbors[j].second, 1e-9);
      }
      EXPECT_NEAR(row.total, before.total, 1e-9) << ids[i];
    }
    Reopen();
  }
}

TEST_F(FeatureStoreTest, DeferredItemWrites_ReadableAtOnceExactUnderConcurrentSyncs) {
  // Real fsyncs, as a server makes them; what survives power loss no unit
  // test can check, so this pins the rest of the contract: a deferred write
  // is readable before SyncWrites, SyncWrites succeeds for writers racing
  // to sync, and sequences and counts stay exact.
  sync_writes_ = true;
  Reopen();
  constexpr int kWriters = 4, kBatches = 10, kPerBatch = 5;
  std::atomic<int> failures = 0;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<v1::Item> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(MakeItem(
              "w" + std::to_string(w) + "b" + std::to_string(b) + "i" + std::to_string(i),
              "c1", 1 + i));
        }
        if (!store_->UpsertItems(batch, FeatureStore::Durability::kDeferred).ok()) {
          ++failures;
          continue;
        }
        absl::StatusOr<std::vector<ItemRecord>> read =
            store_->ReadItems(std::vector<std::string>{batch.back().id()});
        if (!read.ok() || (*read)[0].item == nullptr) ++failures;
        if (!store_->SyncWrites().ok()) ++failures;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr int kItems = kWriters * kBatches * kPerBatch;
  EXPECT_EQ(store_->LastSequence(), static_cast<uint64_t>(kItems));
  EXPECT_EQ(store_->counts().items(), kItems);
  Reopen();
  EXPECT_EQ(Newest(2 * kItems).size(), static_cast<size_t>(kItems));
}

// ---------------------------------------------------------------------------
// Deletes and secondary keys

TEST_F(FeatureStoreTest, DeleteItems_UnknownIdsSkipped) {
  Upsert({MakeItem("a", "c1", 1)});
  const uint64_t before = store_->LastSequence();
  ItemWriteResult result = Delete({"ghost", "phantom"});
  EXPECT_EQ(result.changed, 0);
  EXPECT_EQ(store_->LastSequence(), before);  // nothing logged
  EXPECT_THAT(ChangedAfter(before), IsEmpty());
  ExpectCounts(1, 0, 0);

  result = Delete({"ghost", "a"});
  EXPECT_EQ(result.changed, 1);
  EXPECT_EQ(result.sequence, before + 1);
  EXPECT_EQ(store_->LastSequence(), before + 1);
  EXPECT_THAT(ChangedAfter(before), ElementsAre("a"));
  ExpectCounts(0, 0, 0);
}

TEST_F(FeatureStoreTest, DeleteItems_RemovesRowSecondaryKeysAndCounters) {
  Upsert({MakeItem("a", "c1", 100), MakeItem("b", "c1", 200), MakeItem("x", "c2", 300)});
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u1", "b", v1::EVENT_TYPE_LIKE, 10),
                      MakeEvent("u1", "a", v1::EVENT_TYPE_LIKE, 11)})
                  .ok());
  ASSERT_EQ(Read({"b"})[0].counters->likes(), 1u);

  Delete({"b"});
  const std::vector<ItemRecord> records = Read({"b", "a"});
  EXPECT_FALSE(records[0].item != nullptr);
  EXPECT_EQ(records[0].counters->likes(), 0u);
  EXPECT_EQ(records[0].counters->last_event_ms(), 0);
  EXPECT_EQ(records[1].counters->likes(), 1u);  // other items keep theirs
  EXPECT_THAT(Newest(10), ElementsAre("x", "a"));
  EXPECT_THAT(NewestOf("c1"), ElementsAre("a"));
  EXPECT_THAT(AllItemIds(), ElementsAre("a", "x"));
  absl::StatusOr<std::vector<size_t>> missing =
      store_->MissingItems(std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ElementsAre(1u));

  // Re-creating it starts from fresh counters and fresh keys.
  Upsert({MakeItem("b", "c2", 50)});
  EXPECT_EQ(Read({"b"})[0].counters->likes(), 0u);
  EXPECT_THAT(Newest(10), ElementsAre("x", "a", "b"));
  EXPECT_THAT(NewestOf("c1"), ElementsAre("a"));
  EXPECT_THAT(NewestOf("c2"), ElementsAre("x", "b"));
}

TEST_F(FeatureStoreTest, UpsertItems_NewTimeAndCreator_NoStaleSecondaryKeys) {
  Upsert({MakeItem("a", "c1", 100), MakeItem("b", "c1", 200)});
  EXPECT_THAT(Newest(10), ElementsAre("b", "a"));

  // "a" becomes the newest and moves to creator c2.
  Upsert({MakeItem("a", "c2", 300)});
  absl::StatusOr<std::vector<TimedItemId>> newest = store_->NewestItems(10);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].item_id, "a");
  EXPECT_EQ((*newest)[0].created_at_ms, 300);
  EXPECT_EQ((*newest)[1].item_id, "b");
  EXPECT_EQ((*newest)[1].created_at_ms, 200);
  EXPECT_THAT(NewestOf("c1"), ElementsAre("b"));
  EXPECT_THAT(NewestOf("c2"), ElementsAre("a"));

  // Losing the creator removes the by-creator key altogether.
  Upsert({MakeItem("a", "", 300)});
  EXPECT_THAT(NewestOf("c2"), IsEmpty());
  EXPECT_THAT(Newest(10), ElementsAre("a", "b"));

  // Twice in one batch: only the last version's keys remain.
  Upsert({MakeItem("b", "c3", 400), MakeItem("b", "c4", 50)});
  EXPECT_THAT(Newest(10), ElementsAre("a", "b"));
  EXPECT_THAT(NewestOf("c3"), IsEmpty());
  EXPECT_THAT(NewestOf("c4"), ElementsAre("b"));
  EXPECT_THAT(NewestOf("c1"), IsEmpty());
}

// ---------------------------------------------------------------------------
// Newest items

TEST_F(FeatureStoreTest, NewestItems_NewestFirstWithLimit) {
  Upsert({MakeItem("old", "c1", 1000), MakeItem("newest", "c2", 5000),
          MakeItem("mid", "c1", 3000), MakeItem("zero", "", 0)});
  Upsert({MakeItem("later", "c3", 4000)});
  EXPECT_THAT(Newest(100), ElementsAre("newest", "later", "mid", "old", "zero"));
  EXPECT_THAT(Newest(2), ElementsAre("newest", "later"));
  EXPECT_THAT(Newest(0), IsEmpty());
  absl::StatusOr<std::vector<TimedItemId>> newest = store_->NewestItems(3);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ((*newest)[0].created_at_ms, 5000);
  EXPECT_EQ((*newest)[2].created_at_ms, 3000);
}

TEST_F(FeatureStoreTest, NewestItemsOfCreator_RespectsSinceAndLimit) {
  Upsert({MakeItem("p1", "c1", 1000), MakeItem("p2", "c1", 2000),
          MakeItem("p3", "c1", 3000), MakeItem("p4", "c1", 4000),
          MakeItem("q1", "c2", 3500)});
  EXPECT_THAT(NewestOf("c1"), ElementsAre("p4", "p3", "p2", "p1"));
  EXPECT_THAT(NewestOf("c1", 2000), ElementsAre("p4", "p3", "p2"));  // inclusive
  EXPECT_THAT(NewestOf("c1", 2001), ElementsAre("p4", "p3"));
  EXPECT_THAT(NewestOf("c1", 0, 2), ElementsAre("p4", "p3"));
  EXPECT_THAT(NewestOf("c1", 3000, 1), ElementsAre("p4"));
  EXPECT_THAT(NewestOf("c1", 5000), IsEmpty());
  EXPECT_THAT(NewestOf("nobody"), IsEmpty());
  const absl::string_view creators[] = {"c2", "nobody", "c1"};
  absl::StatusOr<std::vector<std::vector<TimedItemId>>> timed =
      store_->NewestItemsOfCreators(creators, 0, 10);
  ASSERT_TRUE(timed.ok());
  ASSERT_EQ(timed->size(), 3u);
  ASSERT_EQ((*timed)[0].size(), 1u);
  EXPECT_EQ((*timed)[0][0].item_id, "q1");
  EXPECT_EQ((*timed)[0][0].created_at_ms, 3500);
  EXPECT_THAT((*timed)[1], IsEmpty());
  EXPECT_THAT(IdsOf((*timed)[2]), ElementsAre("p4", "p3", "p2", "p1"));
}

TEST_F(FeatureStoreTest, NewestItemsOfCreators_KeptScansNeverHideAWrite) {
  Upsert({MakeItem("a1", "ca", 1000), MakeItem("a2", "ca", 2000),
          MakeItem("b1", "cb", 1500)});
  // The same asks again, and narrower ones, come from the kept scans.
  for (int round = 0; round < 2; ++round) {
    EXPECT_THAT(NewestOf("ca", 0, 10), ElementsAre("a2", "a1"));
    EXPECT_THAT(NewestOf("ca", 1500, 10), ElementsAre("a2"));
    EXPECT_THAT(NewestOf("ca", 0, 1), ElementsAre("a2"));
    EXPECT_THAT(NewestOf("cb", 0, 10), ElementsAre("b1"));
  }
  // A new item, an item moved to another creator, one deleted: each
  // creator's next ask sees it.
  Upsert({MakeItem("a3", "ca", 3000)});
  EXPECT_THAT(NewestOf("ca", 0, 10), ElementsAre("a3", "a2", "a1"));
  Upsert({MakeItem("a1", "cb", 1000)});
  EXPECT_THAT(NewestOf("ca", 0, 10), ElementsAre("a3", "a2"));
  EXPECT_THAT(NewestOf("cb", 0, 10), ElementsAre("b1", "a1"));
  Delete({"b1"});
  EXPECT_THAT(NewestOf("cb", 0, 10), ElementsAre("a1"));
  // A scan cut at its limit does not answer a larger ask.
  Upsert({MakeItem("a4", "ca", 4000)});
  EXPECT_THAT(NewestOf("ca", 0, 1), ElementsAre("a4"));
  EXPECT_THAT(NewestOf("ca", 0, 10), ElementsAre("a4", "a3", "a2"));
}

// The tests above would pass with a cache that never keeps anything; the
// counts show the kept scans answer, and that a write sends its creator's
// next ask to RocksDB.
TEST_F(FeatureStoreTest, NewestItemsOfCreators_CountsAsksAnsweredByKeptScans) {
  Upsert({MakeItem("a1", "ca", 1000), MakeItem("b1", "cb", 1500)});
  auto counts = [&] {
    const FeatureStore::Health health = store_->health();
    return std::pair(health.creator_scan_asks, health.creator_scan_kept);
  };
  ASSERT_THAT(counts(), ::testing::Pair(0, 0));
  const absl::string_view both[] = {"ca", "cb"};
  ASSERT_TRUE(store_->NewestItemsOfCreators(both, 0, 10).ok());
  EXPECT_THAT(counts(), ::testing::Pair(2, 0));
  ASSERT_TRUE(store_->NewestItemsOfCreators(both, 0, 10).ok());
  EXPECT_THAT(counts(), ::testing::Pair(4, 2));
  Upsert({MakeItem("a2", "ca", 2000)});
  ASSERT_TRUE(store_->NewestItemsOfCreators(both, 0, 10).ok());
  EXPECT_THAT(counts(), ::testing::Pair(6, 3)) << "ca was scanned again";
  // Narrower asks are answered by the kept scans...
  ASSERT_TRUE(store_->NewestItemsOfCreators(both, 0, 1).ok());
  EXPECT_THAT(counts(), ::testing::Pair(8, 5));
  // ...but a kept scan cut at its limit does not answer a larger ask.
  Upsert({MakeItem("a3", "ca", 3000)});
  const absl::string_view ca[] = {"ca"};
  ASSERT_TRUE(store_->NewestItemsOfCreators(ca, 0, 1).ok());
  ASSERT_TRUE(store_->NewestItemsOfCreators(ca, 0, 10).ok());
  EXPECT_THAT(counts(), ::testing::Pair(10, 5));
}

TEST_F(FeatureStoreTest, ReadItems_CountsCacheLookupsAndHits) {
  Upsert({MakeItem("a", "c1", 1000), MakeItem("b", "c1", 2000)});
  const FeatureStore::Health before = store_->health();
  const std::vector<std::string> ids = {"a", "b", "missing"};
  ASSERT_TRUE(store_->ReadItems(ids).ok());
  ASSERT_TRUE(store_->ReadItems(ids).ok());
  const FeatureStore::Health after = store_->health();
  EXPECT_EQ(after.item_cache_lookups - before.item_cache_lookups, 6);
  // The second read finds all three: an unknown id is kept as no item.
  EXPECT_EQ(after.item_cache_hits - before.item_cache_hits, 3);
}

TEST_F(FeatureStoreTest, WarmItemCache_ReadsAreNotCountedAsLookups) {
  const std::vector<v1::Item> items = NumberedItems(20, "c1");
  ASSERT_EQ(WarmAfterOneClick(items, "i10003").items, 20);
  // Both passes (the engaged item, then the rest) read all 20 rows, and
  // none of it is the workload's: a hit share since start would otherwise
  // count the warm-up's misses.
  FeatureStore::Health health = store_->health();
  EXPECT_EQ(health.item_cache_lookups, 0);
  EXPECT_EQ(health.item_cache_hits, 0);
  ASSERT_EQ(Read(IdsOf(items)).size(), 20u);
  health = store_->health();
  EXPECT_EQ(health.item_cache_lookups, 20);
  EXPECT_EQ(health.item_cache_hits, 20);
}

TEST_F(FeatureStoreTest, NewestItemsOfCreator_PrefixCreatorDoesNotLeak) {
  Upsert({MakeItem("by-c", "c", 100), MakeItem("by-c1", "c1", 200),
          MakeItem("by-c10", "c10", 300), MakeItem("by-c1x", "c1x", 400),
          MakeItem("by-c1-2", "c1", 50)});
  EXPECT_THAT(NewestOf("c1"), ElementsAre("by-c1", "by-c1-2"));
  EXPECT_THAT(NewestOf("c"), ElementsAre("by-c"));
  EXPECT_THAT(NewestOf("c10"), ElementsAre("by-c10"));
  EXPECT_THAT(NewestOf("c1x"), ElementsAre("by-c1x"));
  EXPECT_THAT(NewestOf("c1", 0, 1), ElementsAre("by-c1"));
}

TEST_F(FeatureStoreTest, NewestItems_KeptScansNeverHideAWrite) {
  Upsert({MakeItem("old", "c1", 1000), MakeItem("mid", "c1", 3000)});
  // The same asks again, and narrower ones, come from the kept scans.
  for (int round = 0; round < 2; ++round) {
    EXPECT_THAT(Newest(10), ElementsAre("mid", "old"));
    EXPECT_THAT(IdsOf(*store_->NewestItems(10, 2000)), ElementsAre("mid"));
    EXPECT_THAT(Newest(1), ElementsAre("mid"));
  }
  Upsert({MakeItem("new", "c2", 5000)});
  EXPECT_THAT(Newest(10), ElementsAre("new", "mid", "old"));
  EXPECT_THAT(IdsOf(*store_->NewestItems(10, 2000)), ElementsAre("new", "mid"));
  EXPECT_THAT(Newest(1), ElementsAre("new"));
  // An upsert that moves an item in time, as a newer created_at does.
  Upsert({MakeItem("old", "c1", 6000)});
  EXPECT_THAT(Newest(10), ElementsAre("old", "new", "mid"));
  Delete({"new"});
  EXPECT_THAT(Newest(10), ElementsAre("old", "mid"));
}

TEST_F(FeatureStoreTest, NewestItems_SinceStopsAtOlderItems) {
  Upsert({MakeItem("old", "c1", 1000), MakeItem("mid", "c1", 3000),
          MakeItem("new", "c2", 5000)});
  EXPECT_THAT(IdsOf(*store_->NewestItems(10, 3000)), ElementsAre("new", "mid"));
  EXPECT_THAT(IdsOf(*store_->NewestItems(1, 0)), ElementsAre("new"));
  EXPECT_THAT(IdsOf(*store_->NewestItems(10, 6000)), IsEmpty());
}

// ---------------------------------------------------------------------------
// Items by tag

v1::Item Tagged(const std::string& id, int64_t created_at_ms,
                const std::vector<std::string>& tags) {
  v1::Item item = MakeItem(id, "c1", created_at_ms);
  for (const std::string& tag : tags) item.add_tags(tag);
  return item;
}

TEST_F(FeatureStoreTest, NewestItemsWithTag_NewestFirstLimitAndNoPrefixLeak) {
  Upsert({Tagged("a", 100, {"1111", "beauty"}), Tagged("b", 300, {"1111"}),
          Tagged("c", 200, {"11111"}), Tagged("d", 400, {"111"}), Tagged("e", 50, {})});
  auto tagged = [&](const std::string& tag, int limit = 100) {
    absl::StatusOr<std::vector<TimedItemId>> items =
        store_->NewestItemsWithTag(tag, limit);
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? IdsOf(*items) : std::vector<std::string>{};
  };
  EXPECT_THAT(tagged("1111"), ElementsAre("b", "a"));
  EXPECT_THAT(tagged("1111", 1), ElementsAre("b"));
  EXPECT_THAT(tagged("11111"), ElementsAre("c"));
  EXPECT_THAT(tagged("111"), ElementsAre("d"));
  EXPECT_THAT(tagged("beauty"), ElementsAre("a"));
  EXPECT_THAT(tagged("618"), IsEmpty());
  absl::StatusOr<std::vector<TimedItemId>> timed = store_->NewestItemsWithTag("1111", 1);
  ASSERT_TRUE(timed.ok());
  EXPECT_EQ((*timed)[0].created_at_ms, 300);
  Reopen();
  EXPECT_THAT(tagged("1111"), ElementsAre("b", "a"));
}

TEST_F(FeatureStoreTest, NewestItemsWithTag_FollowsReplaceAndDelete) {
  auto tagged = [&](const std::string& tag) {
    absl::StatusOr<std::vector<TimedItemId>> items = store_->NewestItemsWithTag(tag, 100);
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? IdsOf(*items) : std::vector<std::string>{};
  };
  Upsert({Tagged("a", 100, {"1111", "618"}), Tagged("b", 200, {"1111"})});
  // "a" leaves 618, keeps 1111 with a new time (now the newest), joins x.
  Upsert({Tagged("a", 300, {"1111", "x"})});
  EXPECT_THAT(tagged("1111"), ElementsAre("a", "b"));
  EXPECT_THAT(tagged("618"), IsEmpty());
  EXPECT_THAT(tagged("x"), ElementsAre("a"));
  // Twice in one batch: only the last version's tags remain.
  Upsert({Tagged("b", 200, {"y"}), Tagged("b", 250, {"z"})});
  EXPECT_THAT(tagged("1111"), ElementsAre("a"));
  EXPECT_THAT(tagged("y"), IsEmpty());
  EXPECT_THAT(tagged("z"), ElementsAre("b"));
  Delete({"a"});
  EXPECT_THAT(tagged("1111"), IsEmpty());
  EXPECT_THAT(tagged("x"), IsEmpty());
  EXPECT_THAT(tagged("z"), ElementsAre("b"));
  Upsert({Tagged("c", 10, {"z"})});
  Reopen();
  EXPECT_THAT(tagged("z"), ElementsAre("b", "c"));
}

// ---------------------------------------------------------------------------
// Events

TEST_F(FeatureStoreTest, RecordEvents_CountersSumAcrossCalls) {
  Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2)});
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u1", "a", v1::EVENT_TYPE_IMPRESSION, 1000),
                      MakeEvent("u2", "a", v1::EVENT_TYPE_IMPRESSION, 1500),
                      MakeEvent("u1", "a", v1::EVENT_TYPE_DWELL, 2000, 300),
                      MakeEvent("u1", "b", v1::EVENT_TYPE_PURCHASE, 900)})
                  .ok());
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u3", "a", v1::EVENT_TYPE_IMPRESSION, 1200),
                      MakeEvent("u3", "a", v1::EVENT_TYPE_DWELL, 1100, 450),
                      MakeEvent("u3", "a", v1::EVENT_TYPE_CLICK, 1300)})
                  .ok());
  // A later call with an older timestamp does not move last_event_ms back.
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u4", "a", v1::EVENT_TYPE_LIKE, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_SAVE, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_SHARE, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_COMMENT, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_FOLLOW, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_ADD_TO_CART, 10),
                      MakeEvent("u4", "a", v1::EVENT_TYPE_ADD_TO_CART, 10)})
                  .ok());

  auto check = [&] {
    const std::vector<ItemRecord> records = Read({"a", "b"});
    ASSERT_EQ(records.size(), 2u);
    const ItemCounters& a = *records[0].counters;
    EXPECT_EQ(a.impressions(), 3u);
    EXPECT_EQ(a.dwells(), 2u);
    EXPECT_EQ(a.dwell_ms(), 750u);
    EXPECT_EQ(a.clicks(), 1u);
    EXPECT_EQ(a.likes(), 1u);
    EXPECT_EQ(a.saves(), 1u);
    EXPECT_EQ(a.shares(), 1u);
    EXPECT_EQ(a.comments(), 1u);
    EXPECT_EQ(a.follows(), 1u);
    EXPECT_EQ(a.add_to_carts(), 2u);
    EXPECT_EQ(a.purchases(), 0u);
    EXPECT_EQ(a.last_event_ms(), 2000);
    const ItemCounters& b = *records[1].counters;
    EXPECT_EQ(b.purchases(), 1u);
    EXPECT_EQ(b.impressions(), 0u);
    EXPECT_EQ(b.last_event_ms(), 900);
  };
  check();
  Reopen();  // merge operands replayed or compacted: same sums
  check();
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("u1", "a", v1::EVENT_TYPE_IMPRESSION, 9000)})
                  .ok());
  EXPECT_EQ(Read({"a"})[0].counters->impressions(), 4u);
  EXPECT_EQ(Read({"a"})[0].counters->last_event_ms(), 9000);
}

TEST_F(FeatureStoreTest, RecordEvents_HistoryKeepsNewestLimitInArrivalOrder) {
  history_limit_ = 5;
  Reopen();
  auto event = [](const std::string& user, int n) {
    return MakeEvent(user, "i" + std::to_string(n), v1::EVENT_TYPE_CLICK, 100 + n);
  };
  auto history = [&](const std::string& user) {
    absl::StatusOr<UserRecord> record = store_->ReadUser(user);
    EXPECT_TRUE(record.ok()) << record.status();
    std::vector<std::string> items;
    if (record.ok()) {
      for (const RecentEvent& e : record->history.events()) items.push_back(e.item_id());
    }
    return items;
  };

  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{event("u1", 1), event("u1", 2),
                                                        event("u2", 1), event("u1", 3)})
                  .ok());
  EXPECT_THAT(history("u1"), ElementsAre("i1", "i2", "i3"));
  EXPECT_THAT(history("u2"), ElementsAre("i1"));
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{event("u1", 4), event("u1", 5),
                                                        event("u1", 6), event("u1", 7)})
                  .ok());
  EXPECT_THAT(history("u1"), ElementsAre("i3", "i4", "i5", "i6", "i7"));

  // One call with more than the limit keeps the newest of that call.
  std::vector<v1::Event> many;
  for (int n = 10; n < 18; ++n) many.push_back(event("u3", n));
  ASSERT_TRUE(store_->RecordEvents(many).ok());
  EXPECT_THAT(history("u3"), ElementsAre("i13", "i14", "i15", "i16", "i17"));

  absl::StatusOr<UserRecord> record = store_->ReadUser("u1");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->history.events(4).type(), v1::EVENT_TYPE_CLICK);
  EXPECT_EQ(record->history.events(4).timestamp_ms(), 107);
  EXPECT_FALSE(record->user.has_value());  // events do not create a profile

  Reopen();
  EXPECT_THAT(history("u1"), ElementsAre("i3", "i4", "i5", "i6", "i7"));
  ASSERT_TRUE(store_->RecordEvents(std::vector<v1::Event>{event("u1", 8)}).ok());
  EXPECT_THAT(history("u1"), ElementsAre("i4", "i5", "i6", "i7", "i8"));
}

// ---------------------------------------------------------------------------
// Change log

TEST_F(FeatureStoreTest, ItemsChangedAfter_EachIdOnceInOrderOfLastChange) {
  EXPECT_EQ(store_->LastSequence(), 0u);
  ItemWriteResult r =
      Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2), MakeItem("c", "c1", 3)});
  EXPECT_EQ(r.sequence, 3u);
  EXPECT_EQ(store_->LastSequence(), 3u);
  r = Upsert({MakeItem("a", "c1", 4)});
  EXPECT_EQ(r.sequence, 4u);
  r = Delete({"b"});
  EXPECT_EQ(r.sequence, 5u);
  EXPECT_EQ(store_->LastSequence(), 5u);

  EXPECT_THAT(ChangedAfter(0), ElementsAre("c", "a", "b"));
  EXPECT_THAT(ChangedAfter(2), ElementsAre("c", "a", "b"));
  EXPECT_THAT(ChangedAfter(3), ElementsAre("a", "b"));
  EXPECT_THAT(ChangedAfter(4), ElementsAre("b"));
  EXPECT_THAT(ChangedAfter(5), IsEmpty());

  // Upserting "c" again moves it to the end.
  Upsert({MakeItem("c", "c2", 6)});
  EXPECT_THAT(ChangedAfter(0), ElementsAre("a", "b", "c"));
  EXPECT_EQ(store_->LastSequence(), 6u);
}

TEST_F(FeatureStoreTest, TrimChangesThrough_RemovesEntriesKeepsSequence) {
  Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2), MakeItem("c", "c1", 3)});
  Upsert({MakeItem("a", "c1", 4)});
  Delete({"b"});
  ASSERT_TRUE(store_->TrimChangesThrough(3).ok());
  EXPECT_THAT(ChangedAfter(0), ElementsAre("a", "b"));  // "c" only at seq 3
  EXPECT_EQ(store_->LastSequence(), 5u);
  ASSERT_TRUE(store_->TrimChangesThrough(5).ok());
  EXPECT_THAT(ChangedAfter(0), IsEmpty());
  EXPECT_EQ(store_->LastSequence(), 5u);
  // New changes get fresh sequences after the trimmed ones.
  const ItemWriteResult r = Upsert({MakeItem("d", "c1", 5)});
  EXPECT_EQ(r.sequence, 6u);
  EXPECT_THAT(ChangedAfter(0), ElementsAre("d"));
}

TEST_F(FeatureStoreTest, LastSequence_SurvivesReopenAndKeepsGrowing) {
  Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2)});
  Delete({"a"});
  EXPECT_EQ(store_->LastSequence(), 3u);
  Reopen();
  EXPECT_EQ(store_->LastSequence(), 3u);
  EXPECT_THAT(ChangedAfter(0), ElementsAre("b", "a"));
  const ItemWriteResult r = Upsert({MakeItem("c", "c1", 3)});
  EXPECT_EQ(r.sequence, 4u);
  EXPECT_THAT(ChangedAfter(3), ElementsAre("c"));
  EXPECT_THAT(ChangedAfter(0), ElementsAre("b", "a", "c"));
}

// ---------------------------------------------------------------------------
// Lookups and meta

TEST_F(FeatureStoreTest, MissingItems_ReturnsPositionsOfUnknownIds) {
  Upsert({MakeItem("a", "c1", 1), MakeItem("b", "c1", 2)});
  absl::StatusOr<std::vector<size_t>> missing =
      store_->MissingItems(std::vector<std::string>{"x", "a", "y", "b", "x"});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_THAT(*missing, ElementsAre(0u, 2u, 4u));
  missing = store_->MissingItems(std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, IsEmpty());
  missing = store_->MissingItems(std::vector<std::string>{});
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, IsEmpty());
}

TEST_F(FeatureStoreTest, ForEachItem_IdOrderAndStopsAtFirstError) {
  Upsert({MakeItem("m", "c1", 1), MakeItem("a", "c1", 2), MakeItem("z", "c1", 3)});
  EXPECT_THAT(AllItemIds(), ElementsAre("a", "m", "z"));
  std::vector<std::string> visited;
  const absl::Status status = store_->ForEachItem([&](const v1::Item& item) {
    visited.push_back(item.id());
    return item.id() == "m" ? absl::AbortedError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(visited, ElementsAre("a", "m"));
}

TEST_F(FeatureStoreTest, ForEachUser_IdOrderProfilesOnlyAndStopsAtFirstError) {
  ASSERT_TRUE(store_
                  ->UpsertUsers(std::vector<v1::User>{
                      MakeUser("m", "cn"), MakeUser("a", "sg"), MakeUser("z", "my")})
                  .ok());
  // Events alone make a history, not a profile.
  ASSERT_TRUE(store_
                  ->RecordEvents(std::vector<v1::Event>{
                      MakeEvent("ghost", "i", v1::EVENT_TYPE_CLICK, 1)})
                  .ok());
  std::vector<std::string> visited;
  ASSERT_TRUE(store_
                  ->ForEachUser([&](const v1::User& user) {
                    visited.push_back(user.id() + "@" + user.region());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(visited, ElementsAre("a@sg", "m@cn", "z@my"));
  visited.clear();
  const absl::Status status = store_->ForEachUser([&](const v1::User& user) {
    visited.push_back(user.id());
    return user.id() == "m" ? absl::AbortedError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(visited, ElementsAre("a", "m"));
}

TEST_F(FeatureStoreTest, Meta_PutGet_RoundTrip) {
  absl::StatusOr<std::optional<std::string>> value = store_->GetMeta("dim");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(value->has_value());

  ASSERT_TRUE(store_->PutMeta("dim", "64").ok());
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(store_->PutMeta("blob", binary).ok());
  value = store_->GetMeta("dim");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "64");
  ASSERT_TRUE(store_->PutMeta("dim", "128").ok());

  Reopen();
  value = store_->GetMeta("dim");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "128");
  value = store_->GetMeta("blob");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, binary);
  // Meta values are not items and do not disturb the counts.
  ExpectCounts(0, 0, 0);
}

}  // namespace
}  // namespace zhongcao::store
