// Reading and writing embedding matrices in the formats offline tools trade:
// `.npy` (NumPy, float32 or float64, 2-D, C order) and `.fvecs` (per row: an
// int32 dimension, then that many float32), each beside an ids file with one
// id per line, row i of the matrix belonging to line i.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zhongcao::tools {

// A dense row-major matrix with one id per row.
struct VectorSet {
  int dim = 0;
  std::vector<std::string> ids;  // ids.size() rows
  std::vector<float> values;     // ids.size() * dim floats

  int64_t rows() const { return static_cast<int64_t>(ids.size()); }
  const float* row(int64_t i) const { return values.data() + i * dim; }
};

// Reads a matrix, choosing the format by extension (".npy" or ".fvecs").
// Errors name the file and, for .fvecs, the row.
absl::StatusOr<std::vector<float>> ReadMatrix(const std::filesystem::path& file, int* dim,
                                              int64_t* rows);

// Writes `rows` x `dim` floats as .npy (float32) or .fvecs by extension,
// through a temporary file renamed into place.
absl::Status WriteMatrix(const std::filesystem::path& file, const float* values,
                         int64_t rows, int dim);

// One id per line; blank lines are an error (they would shift every row).
absl::StatusOr<std::vector<std::string>> ReadIds(const std::filesystem::path& file);
absl::Status WriteIds(const std::filesystem::path& file,
                      const std::vector<std::string>& ids);

// Reads `matrix` and `ids` and checks that their row counts agree and that
// no id repeats.
absl::StatusOr<VectorSet> ReadVectorSet(const std::filesystem::path& matrix,
                                        const std::filesystem::path& ids);
absl::Status WriteVectorSet(const std::filesystem::path& matrix,
                            const std::filesystem::path& ids, const VectorSet& set);

}  // namespace zhongcao::tools
