// A RocksDB memtable that keeps another memtable's inserts and reads, and
// sorts its keys only once it is read-only, so a flush reads them in order
// from one sorted array. A hash memtable makes an insert cheap but orders
// its keys for a flush by inserting every one into a new skiplist: a
// quarter of the server's CPU under events.
#pragma once

#include <memory>

#include "rocksdb/memtablerep.h"

namespace zhongcao::store {

// `inner` makes the memtable that holds the keys and answers point reads
// and iterators while the memtable still takes writes. Only for families
// written by one thread at a time (allow_concurrent_memtable_write off)
// whose keys are ordered bytewise, RocksDB's default comparator.
std::shared_ptr<rocksdb::MemTableRepFactory> NewSortAtFlushRepFactory(
    std::shared_ptr<rocksdb::MemTableRepFactory> inner);

}  // namespace zhongcao::store
