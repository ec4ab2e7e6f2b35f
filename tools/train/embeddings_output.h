// Writes a trained model in the form the service imports: items.npy with
// items.ids and users.npy with users.ids (see tools/vectors).
#pragma once

#include <cstdint>
#include <filesystem>

#include "absl/status/statusor.h"
#include "tools/train/als.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::train {

struct ExportCounts {
  int64_t users = 0;
  int64_t items = 0;
};

// Zero vectors (users and items training learnt nothing about: no positive
// feedback, and no category that had any) are left out; the service serves
// such items by its other sources. Creates `dir` if needed.
absl::StatusOr<ExportCounts> WriteEmbeddings(const std::filesystem::path& dir,
                                             const InteractionLog& log,
                                             const AlsModel& model);

}  // namespace zhongcao::train
