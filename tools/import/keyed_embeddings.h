// Embeddings keyed by id (a .npy or .fvecs matrix beside an ids file, see
// tools/vectors/vector_file.h), to be joined onto the items or users of an
// import, or sent on their own to replace stored ones.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tools/vectors/vector_file.h"

namespace zhongcao::tools {

class KeyedEmbeddings {
 public:
  // Reads both files; a dimension other than `dim` (the service's) refuses
  // the whole file, since no row of it could be loaded.
  static absl::StatusOr<KeyedEmbeddings> Read(const std::filesystem::path& matrix,
                                              const std::filesystem::path& ids, int dim);

  // The row for `id`, marking it used; nullopt when there is none.
  std::optional<int64_t> Take(const std::string& id);
  // Rows never taken since the last ResetUse, in file order.
  std::vector<int64_t> Unused() const;
  void ResetUse() { used_.assign(used_.size(), false); }

  int64_t rows() const { return set_.rows(); }
  const std::string& id(int64_t row) const { return set_.ids[row]; }
  std::span<const float> values(int64_t row) const {
    return {set_.row(row), static_cast<size_t>(set_.dim)};
  }
  // Row i is on line i + 1 of the ids file, which is where reports point.
  static int64_t LineOf(int64_t row) { return row + 1; }
  const std::string& matrix_file() const { return matrix_file_; }
  const std::string& ids_file() const { return ids_file_; }

 private:
  VectorSet set_;
  absl::flat_hash_map<std::string, int64_t> row_of_;
  std::vector<bool> used_;
  std::string matrix_file_;
  std::string ids_file_;
};

}  // namespace zhongcao::tools
