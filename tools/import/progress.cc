#include "tools/import/progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"

namespace zhongcao::tools {
namespace {

constexpr double kRedrawSeconds = 0.2;
// Erases the terminal line the cursor is on.
constexpr char kEraseLine[] = "\r\033[K";

std::string Duration(double seconds) {
  const int64_t s = std::llround(seconds);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

double Progress::SteadySeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Progress::Progress(std::ostream& out, bool live, Clock clock)
    : out_(out), live_(live), clock_(std::move(clock)) {}

void Progress::Start(const std::string& phase, uint64_t total_bytes) {
  phase_ = phase;
  total_bytes_ = total_bytes;
  rows_ = 0;
  bytes_ = 0;
  started_ = clock_();
  drawn_at_ = -1;
  status_.clear();
}

void Progress::Status(const std::string& text) {
  status_ = text;
  if (live_) Draw(clock_());
}

void Progress::Update(int64_t rows, uint64_t bytes) {
  rows_ = rows;
  bytes_ = bytes;
  if (!live_) return;
  const double now = clock_();
  if (drawn_at_ >= 0 && now - drawn_at_ < kRedrawSeconds) return;
  Draw(now);
}

void Progress::Draw(double now) {
  drawn_at_ = now;
  if (!status_.empty()) {
    out_ << kEraseLine << status_ << std::flush;
    shown_ = true;
    return;
  }
  const double elapsed = now - started_;
  std::string line = absl::StrFormat("%s: %d rows", phase_, rows_);
  if (elapsed > 0) {
    absl::StrAppendFormat(&line, ", %.0f rows/s", rows_ / elapsed);
  }
  if (bytes_ > 0 && total_bytes_ > 0 && elapsed > 0) {
    const double done = std::min(1.0, static_cast<double>(bytes_) / total_bytes_);
    absl::StrAppendFormat(&line, ", %.0f%%, %s left", done * 100,
                          Duration(elapsed * (1 - done) / done));
  }
  out_ << kEraseLine << line << std::flush;
  shown_ = true;
}

void Progress::Print(const std::string& line) {
  if (shown_) out_ << kEraseLine;
  out_ << line << '\n';
  if (shown_) Draw(clock_());
  out_ << std::flush;
}

void Progress::Clear() {
  if (!shown_) return;
  out_ << kEraseLine << std::flush;
  shown_ = false;
  status_.clear();
}

}  // namespace zhongcao::tools
