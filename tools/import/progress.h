// Progress of a long import on a terminal: one line, redrawn in place, with
// rows done, rows per second and the time left (from the bytes read of the
// bytes to read). When the output is not a terminal it prints none of
// that, only the lines it is asked to print (bad rows, the summary).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace zhongcao::tools {

class Progress {
 public:
  // Seconds on a monotonic clock; tests pass their own.
  using Clock = std::function<double()>;
  static double SteadySeconds();

  // `live`: redraw a progress line (the output is a terminal).
  Progress(std::ostream& out, bool live, Clock clock = SteadySeconds);

  // Begins a pass over `total_bytes`, e.g. "checking" or "loading".
  void Start(const std::string& phase, uint64_t total_bytes);
  // Redraws, at most five times a second, for `rows` rows and `bytes` of
  // the pass's bytes done.
  void Update(int64_t rows, uint64_t bytes);
  // Shows `text` as the progress line until the next Start or Clear.
  void Status(const std::string& text);
  // Prints `line` on a line of its own, the progress line redrawn below it.
  void Print(const std::string& line);
  // Removes the progress line.
  void Clear();

 private:
  void Draw(double now);

  std::ostream& out_;
  const bool live_;
  Clock clock_;
  std::string phase_;
  uint64_t total_bytes_ = 0;
  int64_t rows_ = 0;
  uint64_t bytes_ = 0;
  double started_ = 0;
  double drawn_at_ = -1;
  bool shown_ = false;
  std::string status_;  // shown instead of counts when set
};

}  // namespace zhongcao::tools
