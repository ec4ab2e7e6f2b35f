// Small filesystem steps that survive a crash: write-then-fsync, directory
// fsync, and streaming checksums for snapshot files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zhongcao::index {

// Writes `bytes` to `path` and fsyncs it.
absl::Status WriteFileDurably(const std::filesystem::path& path, std::string_view bytes);
// The same for a file made of `pieces` one after another, so that rows held
// in two places become one file without first being copied into one buffer.
absl::Status WriteFileDurably(const std::filesystem::path& path,
                              std::span<const std::string_view> pieces);
// Fsyncs an already written file or a directory.
absl::Status SyncPath(const std::filesystem::path& path);
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);
// Fills `out` with the file's bytes from `offset` on; fails when the file
// ends first.
absl::Status ReadFileRange(const std::filesystem::path& path, uint64_t offset,
                           std::span<char> out);
// XXH64 of a file's contents, read in chunks.
absl::StatusOr<uint64_t> FileXxh64(const std::filesystem::path& path);

}  // namespace zhongcao::index
