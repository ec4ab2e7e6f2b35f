#include "index/row_blocks.h"

#include <algorithm>

namespace zhongcao::index {

void RowBlocks::Append(std::span<const float> row) {
  const size_t at = rows_ % kBlockRows;
  if (at == 0) AddBlock();
  std::copy(row.begin(), row.end(), blocks_.back().get() + at * dim_);
  ++rows_;
}

void RowBlocks::Reset(size_t rows) {
  blocks_.clear();
  block_starts_.clear();
  rows_ = rows;
  for (size_t made = 0; made < rows; made += kBlockRows) AddBlock();
}

std::vector<std::string_view> RowBlocks::Pieces() const {
  std::vector<std::string_view> pieces;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    pieces.emplace_back(reinterpret_cast<const char*>(blocks_[b].get()), BytesIn(b));
  }
  return pieces;
}

std::vector<std::span<char>> RowBlocks::MutablePieces() {
  std::vector<std::span<char>> pieces;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    pieces.emplace_back(reinterpret_cast<char*>(blocks_[b].get()), BytesIn(b));
  }
  return pieces;
}

size_t RowBlocks::BytesIn(size_t block) const {
  return std::min(kBlockRows, rows_ - block * kBlockRows) * dim_ * sizeof(float);
}

void RowBlocks::AddBlock() {
  blocks_.push_back(std::make_unique_for_overwrite<float[]>(kBlockRows * dim_));
  block_starts_.push_back(blocks_.back().get());
}

}  // namespace zhongcao::index
