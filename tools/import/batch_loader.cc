#include "tools/import/batch_loader.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zhongcao::tools {

std::string ToString(const BadRow& row) {
  return absl::StrCat(row.file, ":", row.line, ": ", row.message);
}

std::optional<ElementError> ParseElementError(const absl::Status& status,
                                              const std::string& field) {
  const std::string message(status.message());
  const std::string prefix = field + "[";
  if (!message.starts_with(prefix)) return std::nullopt;
  const size_t close = message.find(']', prefix.size());
  if (close == std::string::npos) return std::nullopt;
  ElementError error;
  if (!absl::SimpleAtoi(message.substr(prefix.size(), close - prefix.size()),
                        &error.index)) {
    return std::nullopt;
  }
  // "items[3].title: x" -> "title: x"; "items[3]: x" -> "x".
  std::string rest = message.substr(close + 1);
  if (rest.starts_with(".")) {
    rest.erase(0, 1);
  } else if (rest.starts_with(": ")) {
    rest.erase(0, 2);
  }
  error.message = std::move(rest);
  return error;
}

void BatchCore::Report(int64_t line, std::string message) {
  ++bad_;
  on_bad_(BadRow{options_.file, line, std::move(message)});
}

absl::Status BatchCore::Unexpected(std::span<const int64_t> lines,
                                   const std::vector<size_t>& positions,
                                   const absl::Status& status) const {
  std::optional<ElementError> element = ParseElementError(status, options_.field);
  if (element.has_value() && element->index < positions.size()) {
    return absl::Status(status.code(),
                        absl::StrCat(options_.file, ":", lines[positions[element->index]],
                                     ": ", element->message));
  }
  return absl::Status(status.code(), absl::StrCat(options_.file, ": ", status.message()));
}

absl::StatusOr<std::vector<size_t>> BatchCore::DryRun(
    std::span<const int64_t> lines, std::vector<size_t> positions,
    const SubmitSome& submit, const std::function<bool(size_t)>& loaded_first) {
  std::vector<bool> bad(lines.size(), false);
  std::vector<size_t> pending = positions;
  auto expected = [&](size_t p) { return loaded_first && loaded_first(p); };
  while (!pending.empty()) {
    const absl::Status status = submit(pending, /*validate_only=*/true);
    if (status.ok()) break;
    std::optional<ElementError> element = ParseElementError(status, options_.field);
    if (!element.has_value() || element->index >= pending.size()) {
      return Unexpected(lines, pending, status);
    }
    const size_t at = element->index;
    if (status.code() == absl::StatusCode::kNotFound) {
      // The service checks every element's fields before any existence
      // (ingest.proto), so all of `pending` passed those and the elements
      // before `at` exist: only later ones that may be missing remain.
      if (!expected(pending[at])) {
        bad[pending[at]] = true;
        Report(lines[pending[at]], element->message);
      }
      std::vector<size_t> rest;
      for (size_t i = at + 1; i < pending.size(); ++i) {
        if (!expected(pending[i])) rest.push_back(pending[i]);
      }
      pending = std::move(rest);
    } else {
      bad[pending[at]] = true;
      Report(lines[pending[at]], element->message);
      pending.erase(pending.begin() + at);
    }
  }
  std::erase_if(positions, [&](size_t p) { return bad[p]; });
  return positions;
}

absl::Status BatchCore::Write(std::span<const int64_t> lines,
                              std::vector<size_t> positions, const SubmitSome& submit) {
  while (!positions.empty()) {
    const absl::Status status = submit(positions, /*validate_only=*/false);
    if (status.ok()) {
      written_ += positions.size();
      return absl::OkStatus();
    }
    // Refused after a clean dry run: the service's state changed meanwhile
    // (an item deleted). The call wrote nothing; leave the row out.
    std::optional<ElementError> element = ParseElementError(status, options_.field);
    if (!element.has_value() || element->index >= positions.size()) {
      return Unexpected(lines, positions, status);
    }
    Report(lines[positions[element->index]], element->message);
    positions.erase(positions.begin() + element->index);
  }
  return absl::OkStatus();
}

absl::Status BatchCore::Run(std::span<const int64_t> lines, const SubmitSome& submit,
                            const std::function<bool(size_t)>& loaded_first) {
  std::vector<size_t> all(lines.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  switch (options_.phase) {
    case Phase::kCheck:
      return DryRun(lines, std::move(all), submit, loaded_first).status();
    case Phase::kLoadChecked: {
      const absl::Status status = submit(all, /*validate_only=*/false);
      if (!status.ok()) return Unexpected(lines, all, status);
      written_ += all.size();
      return absl::OkStatus();
    }
    case Phase::kLoad: {
      // Most batches are clean: write first, and dry-run only one that is
      // refused for a row, which wrote nothing.
      const absl::Status status = submit(all, /*validate_only=*/false);
      if (status.ok()) {
        written_ += all.size();
        return absl::OkStatus();
      }
      std::optional<ElementError> element = ParseElementError(status, options_.field);
      if (!element.has_value() || element->index >= all.size()) {
        return Unexpected(lines, all, status);
      }
      absl::StatusOr<std::vector<size_t>> good =
          DryRun(lines, std::move(all), submit, nullptr);
      if (!good.ok()) return good.status();
      return Write(lines, *std::move(good), submit);
    }
  }
  return absl::OkStatus();
}

}  // namespace zhongcao::tools
