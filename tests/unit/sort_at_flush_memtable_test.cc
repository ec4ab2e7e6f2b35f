#include "store/sort_at_flush_memtable.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "tests/scratch_dir.h"

namespace zhongcao::store {
namespace {

using Model = std::map<std::string, std::string>;

// Keys shorter than 8 bytes, and keys whose first 8 bytes are all the same.
std::string Key(uint32_t n) {
  return n % 2 == 0 ? absl::StrCat("k", n) : absl::StrCat("shared-head-", n);
}

// A database of one family whose memtables are hash linked lists sorted at
// flush, as the store's event families are, with small memtables so that a
// few thousand writes fill several.
class SortAtFlushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir =
        (zhongcao::testing::ScratchDir() /
         ::testing::UnitTest::GetInstance()->current_test_info()->name())
            .string();
    rocksdb::Options options;
    options.create_if_missing = true;
    options.allow_concurrent_memtable_write = false;
    options.prefix_extractor.reset(rocksdb::NewNoopTransform());
    options.memtable_factory =
        NewSortAtFlushRepFactory(std::shared_ptr<rocksdb::MemTableRepFactory>(
            rocksdb::NewHashLinkListRepFactory(1 << 10, 0, 4096, false)));
    options.write_buffer_size = 64 << 10;
    options.max_write_buffer_number = 32;
    options.disable_auto_compactions = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &db).ok());
    db_.reset(db);
  }

  // Writes `count` random puts and deletes over 3,000 keys, some keys many
  // times, into the database and `model_`.
  void WriteRandom(int count, uint32_t seed) {
    std::mt19937 random(seed);
    for (int i = 0; i < count; ++i) {
      const std::string key = Key(random() % 3000);
      if (random() % 8 == 0) {
        ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), key).ok());
        model_.erase(key);
      } else {
        const std::string value =
            absl::StrCat("v", i, "-", std::string(random() % 40, 'x'));
        ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key, value).ok());
        model_[key] = value;
      }
    }
  }

  // The whole database read forwards, and the same read backwards.
  void ExpectScansMatchModel() {
    rocksdb::ReadOptions read;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
    Model forward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward[it->key().ToString()] = it->value().ToString();
    }
    ASSERT_TRUE(it->status().ok());
    EXPECT_EQ(forward, model_);
    std::vector<std::string> backward;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward.push_back(it->key().ToString());
    }
    std::vector<std::string> expected;
    for (auto m = model_.rbegin(); m != model_.rend(); ++m) expected.push_back(m->first);
    EXPECT_EQ(backward, expected);
  }

  // Seeks from keys present, absent, and past both ends, in both directions.
  void ExpectSeeksMatchModel(uint32_t seed) {
    rocksdb::ReadOptions read;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
    std::mt19937 random(seed);
    std::vector<std::string> targets = {"", "a", "k", "shared-head-", "zz"};
    for (int i = 0; i < 200; ++i) targets.push_back(Key(random() % 3100));
    for (const std::string& target : targets) {
      it->Seek(target);
      auto at = model_.lower_bound(target);
      ASSERT_EQ(it->Valid(), at != model_.end()) << target;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), at->first);
        EXPECT_EQ(it->value().ToString(), at->second);
      }
      it->SeekForPrev(target);
      auto before = model_.upper_bound(target);
      ASSERT_EQ(it->Valid(), before != model_.begin()) << target;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), std::prev(before)->first);
      }
    }
    ASSERT_TRUE(it->status().ok());
  }

  void ExpectGetsMatchModel() {
    for (uint32_t k = 0; k < 3000; ++k) {
      const std::string key = Key(k);
      std::string value;
      const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
      auto m = model_.find(key);
      if (m == model_.end()) {
        EXPECT_TRUE(s.IsNotFound()) << key;
      } else {
        ASSERT_TRUE(s.ok()) << key;
        EXPECT_EQ(value, m->second) << key;
      }
    }
  }

  uint64_t Property(const std::string& name) {
    uint64_t value = 0;
    EXPECT_TRUE(db_->GetIntProperty(name, &value));
    return value;
  }

  std::unique_ptr<rocksdb::DB> db_;
  Model model_;
};

TEST_F(SortAtFlushTest, MemtablesStillTakingWritesAnswerReadsAndScans) {
  WriteRandom(400, 1);
  EXPECT_EQ(Property("rocksdb.num-immutable-mem-table"), 0u);
  ExpectGetsMatchModel();
  ExpectScansMatchModel();
  ExpectSeeksMatchModel(2);
}

// Memtables that no longer take writes, before a flush has taken them,
// are what the sorted array serves: point reads, scans and seeks over them.
TEST_F(SortAtFlushTest, ReadOnlyMemtablesAnswerReadsScansAndSeeksInOrder) {
  ASSERT_TRUE(db_->PauseBackgroundWork().ok());
  WriteRandom(6000, 3);
  ASSERT_GE(Property("rocksdb.num-immutable-mem-table"), 2u);
  ExpectGetsMatchModel();
  ExpectScansMatchModel();
  ExpectSeeksMatchModel(4);
  ASSERT_TRUE(db_->ContinueBackgroundWork().ok());
}

TEST_F(SortAtFlushTest, FlushedTablesHoldTheNewestValueOfEveryKey) {
  WriteRandom(6000, 5);
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
  EXPECT_EQ(Property("rocksdb.num-immutable-mem-table"), 0u);
  std::vector<rocksdb::LiveFileMetaData> tables;
  db_->GetLiveFilesMetaData(&tables);
  EXPECT_GE(tables.size(), 2u);
  // Overwrites and deletes across memtables meet in the flushed tables.
  ASSERT_TRUE(db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  ExpectGetsMatchModel();
  ExpectScansMatchModel();
  ExpectSeeksMatchModel(6);
}

}  // namespace
}  // namespace zhongcao::store
