// The evaluation's phases: each is timed into the result and announced on
// the progress stream as it starts and ends.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zhongcao::evaluate {

class Phases {
 public:
  Phases(std::vector<std::pair<std::string, double>>& seconds, std::ostream* progress)
      : seconds_(seconds), progress_(progress) {}
  void Start(std::string name) {
    name_ = std::move(name);
    start_ = std::chrono::steady_clock::now();
    Say(absl::StrCat(name_, "..."));
  }
  void End() {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    seconds_.emplace_back(name_, s);
    Say(absl::StrFormat("%s: %.1f s", name_, s));
  }
  void Say(const std::string& line) const {
    if (progress_ != nullptr) *progress_ << "zhongcao_evaluate: " << line << std::endl;
  }

 private:
  std::vector<std::pair<std::string, double>>& seconds_;
  std::ostream* progress_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace zhongcao::evaluate
