// The growing segment's vectors: rows appended in fixed blocks, so that an
// append never moves the rows before it. One buffer doubling from 256 MB to
// 512 MB at a million new rows held item writes and searches, waiting on
// the index lock, for about a second.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace zhongcao::index {

class RowBlocks {
 public:
  // 16384 rows a block: 4 MiB at 64 dimensions, little slack in the last.
  static constexpr size_t kBlockRows = size_t{1} << 14;

  explicit RowBlocks(int dim = 0) : dim_(dim) {}

  size_t size() const { return rows_; }
  const float* Row(size_t i) const {
    return blocks_[i / kBlockRows].get() + (i % kBlockRows) * dim_;
  }
  // `row` must hold the dimension's count of values.
  void Append(std::span<const float> row);
  // Makes room for `rows` rows, whose values are to be filled through
  // MutablePieces.
  void Reset(size_t rows);
  // Every row in order, as one span of bytes per block, for a file written
  // or read in one pass.
  std::vector<std::string_view> Pieces() const;
  std::vector<std::span<char>> MutablePieces();
  // The blocks' first rows, for a scan over them (see ExactTopKInBlocks).
  std::span<const float* const> Blocks() const { return block_starts_; }

 private:
  void AddBlock();
  // The bytes of the rows held in block `block` (the last may be partial).
  size_t BytesIn(size_t block) const;

  size_t dim_;
  size_t rows_ = 0;
  std::vector<std::unique_ptr<float[]>> blocks_;
  std::vector<const float*> block_starts_;  // blocks_[b].get(), for scans
};

}  // namespace zhongcao::index
