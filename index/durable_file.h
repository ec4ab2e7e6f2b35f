// Small filesystem steps that survive a crash: write-then-fsync, directory
// fsync, and streaming checksums for snapshot files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zhongcao::index {

// Writes `bytes` to `path` and fsyncs it.
absl::Status WriteFileDurably(const std::filesystem::path& path, std::string_view bytes);
// Fsyncs an already written file or a directory.
absl::Status SyncPath(const std::filesystem::path& path);
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);
// XXH64 of a file's contents, read in chunks.
absl::StatusOr<uint64_t> FileXxh64(const std::filesystem::path& path);

}  // namespace zhongcao::index
