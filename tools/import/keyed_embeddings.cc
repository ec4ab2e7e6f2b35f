#include "tools/import/keyed_embeddings.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace zhongcao::tools {

absl::StatusOr<KeyedEmbeddings> KeyedEmbeddings::Read(const std::filesystem::path& matrix,
                                                      const std::filesystem::path& ids,
                                                      int dim) {
  absl::StatusOr<VectorSet> set = ReadVectorSet(matrix, ids);
  if (!set.ok()) return set.status();
  if (set->rows() > 0 && set->dim != dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(matrix.string(), ": holds embeddings of dimension ", set->dim,
                     ", the service's dimension is ", dim));
  }
  KeyedEmbeddings keyed;
  keyed.set_ = *std::move(set);
  keyed.row_of_.reserve(keyed.set_.ids.size());
  for (int64_t row = 0; row < keyed.set_.rows(); ++row) {
    keyed.row_of_.emplace(keyed.set_.ids[row], row);  // ReadVectorSet refuses repeats
  }
  keyed.used_.assign(keyed.set_.ids.size(), false);
  keyed.matrix_file_ = matrix.string();
  keyed.ids_file_ = ids.string();
  return keyed;
}

std::optional<int64_t> KeyedEmbeddings::Take(const std::string& id) {
  auto it = row_of_.find(id);
  if (it == row_of_.end()) return std::nullopt;
  used_[it->second] = true;
  return it->second;
}

std::vector<int64_t> KeyedEmbeddings::Unused() const {
  std::vector<int64_t> rows;
  for (size_t row = 0; row < used_.size(); ++row) {
    if (!used_[row]) rows.push_back(static_cast<int64_t>(row));
  }
  return rows;
}

}  // namespace zhongcao::tools
