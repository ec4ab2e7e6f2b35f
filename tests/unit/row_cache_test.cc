// The row cache's contract: what was filled is found until a writer
// invalidates it, a fill that raced with a write is dropped, the budget
// holds, and rows read recently outlive rows never read again.
#include "store/row_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace zhongcao::store {
namespace {

// A row of a chosen size, as RowCache charges it.
struct Row {
  int value = 0;
  size_t bytes = 100;
  size_t SpaceUsedLong() const { return bytes; }
};

std::shared_ptr<const Row> MakeRow(int value, size_t bytes = 100) {
  return std::make_shared<const Row>(Row{value, bytes});
}

void Put(RowCache<Row>& cache, const std::string& key, int value, size_t bytes = 100) {
  cache.Fill(cache.FillToken(key), key, MakeRow(value, bytes));
}

std::shared_ptr<const Row> FindOne(const RowCache<Row>& cache, const std::string& key) {
  return cache.FindAll(std::span<const std::string>(&key, 1))[0];
}

int ValueOf(const RowCache<Row>& cache, const std::string& key) {
  int value = -1;
  cache.Visit(key, [&](const Row& row) { value = row.value; });
  return value;
}

TEST(RowCacheTest, Fill_ThenFindAndVisit_ReturnTheRow) {
  RowCache<Row> cache(1 << 20);
  Put(cache, "a", 7);
  ASSERT_NE(FindOne(cache, "a"), nullptr);
  EXPECT_EQ(FindOne(cache, "a")->value, 7);
  EXPECT_EQ(ValueOf(cache, "a"), 7);
  EXPECT_EQ(FindOne(cache, "b"), nullptr);
  EXPECT_FALSE(cache.Visit("b", [](const Row&) {}));
  EXPECT_GT(cache.usage(), 100u);
}

TEST(RowCacheTest, Fill_OfAnExistingKey_ReplacesIt) {
  RowCache<Row> cache(1 << 20);
  Put(cache, "a", 1);
  Put(cache, "a", 2);
  EXPECT_EQ(ValueOf(cache, "a"), 2);
}

TEST(RowCacheTest, Invalidate_DropsTheRowAndFillsTokenedBeforeIt) {
  RowCache<Row> cache(1 << 20);
  Put(cache, "a", 1);
  const uint64_t stale = cache.FillToken("a");      // a reader starts its read
  cache.Invalidate(std::vector<std::string>{"a"});  // a writer changes the row
  EXPECT_EQ(FindOne(cache, "a"), nullptr);
  cache.Fill(stale, "a", MakeRow(1));  // the reader's old row must not return
  EXPECT_EQ(FindOne(cache, "a"), nullptr);
  Put(cache, "a", 2);
  EXPECT_EQ(ValueOf(cache, "a"), 2);
}

TEST(RowCacheTest, FindAll_AnswersEachKeyInOrderAcrossShards) {
  RowCache<Row> cache(1 << 20);
  // Enough keys that every shard holds some, with misses in between.
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back("k" + std::to_string(i));
    if (i % 3 != 0) Put(cache, keys.back(), i);
  }
  keys.push_back("k5");  // a key asked twice
  const std::vector<std::shared_ptr<const Row>> rows =
      cache.FindAll(std::span<const std::string>(keys));
  ASSERT_EQ(rows.size(), keys.size());
  for (int i = 0; i < 1000; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(rows[i], nullptr) << keys[i];
    } else {
      ASSERT_NE(rows[i], nullptr) << keys[i];
      EXPECT_EQ(rows[i]->value, i);
    }
  }
  ASSERT_NE(rows.back(), nullptr);
  EXPECT_EQ(rows.back()->value, 5);
  EXPECT_TRUE(cache.FindAll(std::span<const std::string>()).empty());
}

TEST(RowCacheTest, ZeroCapacity_CachesNothing) {
  RowCache<Row> cache(0);
  Put(cache, "a", 1);
  EXPECT_EQ(FindOne(cache, "a"), nullptr);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(RowCacheTest, OverBudget_EvictsAndStaysWithinIt) {
  const size_t capacity = 64 * 4096;  // 4 KiB per shard
  RowCache<Row> cache(capacity);
  for (int i = 0; i < 20000; ++i) Put(cache, "k" + std::to_string(i), i, 200);
  EXPECT_LE(cache.usage(), capacity);
  int held = 0;
  for (int i = 0; i < 20000; ++i)
    held += FindOne(cache, "k" + std::to_string(i)) != nullptr;
  EXPECT_GT(held, 100);
  EXPECT_LT(held, 20000);
  // Every row put and not held was evicted (none was invalidated).
  EXPECT_EQ(cache.evictions(), static_cast<uint64_t>(20000 - held));
}

TEST(RowCacheTest, WithinBudget_EvictsNothing) {
  RowCache<Row> cache(64 * 4096);
  for (int i = 0; i < 10; ++i) Put(cache, "k" + std::to_string(i), i);
  cache.Invalidate(std::vector<std::string>{"k1"});
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(cache.capacity(), 64u * 4096u);
}

TEST(RowCacheTest, OverBudget_SparesRowsReadSinceTheLastSweep) {
  const size_t capacity = 64 * 4096;
  RowCache<Row> cache(capacity);
  // A hot set read between inserts survives a stream of rows never read
  // again, which an unread-first policy evicts instead.
  std::vector<std::string> hot;
  for (int i = 0; i < 64; ++i) {
    hot.push_back("hot" + std::to_string(i));
    Put(cache, hot.back(), i, 200);
  }
  for (int i = 0; i < 20000; ++i) {
    for (const std::string& key : hot) cache.Visit(key, [](const Row&) {});
    Put(cache, "cold" + std::to_string(i), i, 200);
  }
  int hot_held = 0;
  for (const std::string& key : hot) hot_held += FindOne(cache, key) != nullptr;
  EXPECT_EQ(hot_held, 64);
}

TEST(RowCacheTest, RowLargerThanAShard_IsNotCached) {
  RowCache<Row> cache(64 * 1024);
  Put(cache, "big", 1, 4096);
  EXPECT_EQ(FindOne(cache, "big"), nullptr);
}

TEST(RowCacheTest, ConcurrentReadersAndWriters_SeeOnlyRowsFilledForTheKey) {
  RowCache<Row> cache(64 * 8192);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 20000; ++i) {
        const int k = (i * 7 + t) % 500;
        const std::string key = "k" + std::to_string(k);
        if (t % 2 == 0) {
          Put(cache, key, k, 150);
          if (i % 10 == 0) cache.Invalidate(std::vector<std::string>{key});
        } else {
          const int value = ValueOf(cache, key);
          ASSERT_TRUE(value == -1 || value == k) << key << " had " << value;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(cache.usage(), 64u * 8192u);
}

}  // namespace
}  // namespace zhongcao::store
