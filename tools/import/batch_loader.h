// Sends rows to a Sink in batches and finds the bad rows of a refused batch
// from the service's answer, which names the element at fault
// ("events[12].item_id: ..."): the service's all-or-nothing calls then
// give an importer per-row errors without writing anything twice.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zhongcao::tools {

// A row the service or the importer refused.
struct BadRow {
  std::string file;
  int64_t line = 0;
  std::string message;  // "field: what is wrong"
};

// "FILE:LINE: field: message".
std::string ToString(const BadRow& row);

enum class Phase {
  kCheck,        // dry runs only: every bad row is reported, nothing written
  kLoad,         // writes; the bad rows of a refused batch are found by dry
                 // runs, reported and left out, the rest written
  kLoadChecked,  // writes rows already checked: any refusal is an error
};

// A refusal naming one element of a request: "items[3].title: too long"
// read for field "items" is {3, "title: too long"}.
struct ElementError {
  size_t index = 0;
  std::string message;
};
std::optional<ElementError> ParseElementError(const absl::Status& status,
                                              const std::string& field);

// The part of BatchLoader that does not depend on the row type; rows are
// known by their positions in the batch.
class BatchCore {
 public:
  struct Options {
    std::string file;   // for reports
    std::string field;  // the request's repeated field, as the service names it
    Phase phase = Phase::kLoad;
  };
  // Sends the rows at `positions`, in that order, as one call.
  using SubmitSome = std::function<absl::Status(const std::vector<size_t>& positions,
                                                bool validate_only)>;

  BatchCore(Options options, std::function<void(const BadRow&)> on_bad)
      : options_(std::move(options)), on_bad_(std::move(on_bad)) {}

  // Handles one batch of `lines.size()` rows by the phase. `loaded_first`
  // (optional) tells, in kCheck, a row whose NOT_FOUND is expected because
  // it names something this import loads first. Returns only errors that
  // are not a row's fault.
  absl::Status Run(std::span<const int64_t> lines, const SubmitSome& submit,
                   const std::function<bool(size_t)>& loaded_first);

  int64_t written() const { return written_; }
  int64_t bad() const { return bad_; }

 private:
  // Dry-runs the rows at `positions` until every bad one is found and
  // reported; returns the good positions.
  absl::StatusOr<std::vector<size_t>> DryRun(
      std::span<const int64_t> lines, std::vector<size_t> positions,
      const SubmitSome& submit, const std::function<bool(size_t)>& loaded_first);
  // Writes the rows at `positions`, reporting and leaving out any the
  // service still refuses.
  absl::Status Write(std::span<const int64_t> lines, std::vector<size_t> positions,
                     const SubmitSome& submit);
  void Report(int64_t line, std::string message);
  absl::Status Unexpected(std::span<const int64_t> lines,
                          const std::vector<size_t>& positions,
                          const absl::Status& status) const;

  Options options_;
  std::function<void(const BadRow&)> on_bad_;
  int64_t written_ = 0;
  int64_t bad_ = 0;
};

// Collects rows into batches of at most `max_rows` rows (and `max_bytes`
// serialized) and hands each to a BatchCore.
template <typename Row>
class BatchLoader {
 public:
  using Submit =
      std::function<absl::Status(std::span<const Row> rows, bool validate_only)>;
  struct Options {
    BatchCore::Options core;
    size_t max_rows = 1000;
    size_t max_bytes = 16 << 20;
    // See BatchCore::Run.
    std::function<bool(const Row&)> loaded_first;
  };

  BatchLoader(Options options, Submit submit, std::function<void(const BadRow&)> on_bad)
      : options_(std::move(options)),
        submit_(std::move(submit)),
        core_(options_.core, std::move(on_bad)) {}

  absl::Status Add(Row row, int64_t line) {
    bytes_ += row.ByteSizeLong();
    rows_.push_back(std::move(row));
    lines_.push_back(line);
    if (rows_.size() >= options_.max_rows || bytes_ >= options_.max_bytes) return Flush();
    return absl::OkStatus();
  }

  // Sends what is collected; call once more after the last Add.
  absl::Status Flush() {
    if (rows_.empty()) return absl::OkStatus();
    std::vector<Row> some;
    auto submit = [&](const std::vector<size_t>& positions, bool validate_only) {
      some.clear();
      for (size_t p : positions) some.push_back(rows_[p]);
      return submit_(some, validate_only);
    };
    std::function<bool(size_t)> loaded_first;
    if (options_.loaded_first) {
      loaded_first = [&](size_t p) { return options_.loaded_first(rows_[p]); };
    }
    absl::Status ran = core_.Run(lines_, submit, loaded_first);
    rows_.clear();
    lines_.clear();
    bytes_ = 0;
    return ran;
  }

  int64_t written() const { return core_.written(); }
  int64_t bad() const { return core_.bad(); }

 private:
  Options options_;
  Submit submit_;
  BatchCore core_;
  std::vector<Row> rows_;
  std::vector<int64_t> lines_;
  size_t bytes_ = 0;
};

}  // namespace zhongcao::tools
