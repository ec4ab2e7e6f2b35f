#include "index/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "xxhash.h"

namespace zhongcao::index {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::filesystem::path& p) {
  return absl::InternalError(
      absl::StrCat(what, " ", p.string(), ": ", std::strerror(errno)));
}

}  // namespace

absl::Status WriteFileDurably(const std::filesystem::path& path, std::string_view bytes) {
  return WriteFileDurably(path, std::span<const std::string_view>(&bytes, 1));
}

absl::Status WriteFileDurably(const std::filesystem::path& path,
                              std::span<const std::string_view> pieces) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return ErrnoError("cannot create", path);
  for (std::string_view bytes : pieces) {
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        return ErrnoError("cannot write", path);
      }
      written += static_cast<size_t>(n);
    }
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return ErrnoError("cannot fsync", path);
  }
  if (::close(fd) != 0) return ErrnoError("cannot close", path);
  return absl::OkStatus();
}

absl::Status SyncPath(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoError("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("cannot fsync", path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path.string()));
  return bytes;
}

absl::Status ReadFileRange(const std::filesystem::path& path, uint64_t offset,
                           std::span<char> out) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoError("cannot open", path);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const bool error = n < 0;
      ::close(fd);
      if (error) return ErrnoError("cannot read", path);
      return absl::DataLossError(absl::StrCat(path.string(), " ends at ", offset + done,
                                              ", expected ", offset + out.size(),
                                              " bytes"));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FileXxh64(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    XXH64_update(state, buffer.data(), static_cast<size_t>(in.gcount()));
  }
  const bool bad = in.bad();
  const uint64_t digest = XXH64_digest(state);
  XXH64_freeState(state);
  if (bad) return absl::DataLossError(absl::StrCat("cannot read ", path.string()));
  return digest;
}

}  // namespace zhongcao::index
