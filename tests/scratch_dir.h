// One scratch directory per test process, under the test temporary
// directory, removed when the process exits, so that test runs leave no
// files behind in a temporary directory other programs share.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace zhongcao::testing {

inline const std::filesystem::path& ScratchDir() {
  struct Dir {
    std::filesystem::path path;
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir{[] {
    const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) /
                                       ("zhongcao_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }()};
  return dir.path;
}

}  // namespace zhongcao::testing
