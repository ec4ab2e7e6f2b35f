#include "tools/import/importer.h"

#include <functional>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/validation.h"
#include "tools/import/keyed_embeddings.h"
#include "tools/import/row_reader.h"

namespace zhongcao::tools {
namespace {

namespace fs = std::filesystem;
using service::Limits;

// The service's limits per call (README, ingest.proto).
constexpr size_t kMaxCatalogRows = 1000;
constexpr size_t kMaxEvents = 10000;

// Rows are checked locally with the service's own validation, given an
// empty element path, so its messages read ".title: ..."; reports want
// "title: ...".
std::string FieldMessage(const absl::Status& status) {
  std::string message(status.message());
  if (message.starts_with(".")) message.erase(0, 1);
  return message;
}

absl::Status CheckRow(const v1::Item& row, const Limits& limits) {
  return service::ValidateItem(row, "", limits);
}
absl::Status CheckRow(const v1::User& row, const Limits& limits) {
  return service::ValidateUser(row, "", limits);
}
absl::Status CheckRow(const v1::Creator& row, const Limits& limits) {
  return service::ValidateCreator(row, "", limits);
}
absl::Status CheckRow(const v1::Event& row, const Limits& limits) {
  return service::ValidateEvent(row, "", limits);
}

template <typename Row>
constexpr bool kHasEmbedding =
    std::is_same_v<Row, v1::Item> || std::is_same_v<Row, v1::User>;

uint64_t SizeOf(const fs::path& file) {
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

class Importer {
 public:
  Importer(const ImportOptions& options, Sink& sink, ImportObserver& observer)
      : options_(options), sink_(sink), observer_(observer) {}

  ImportReport Run() {
    report_.status = RunPasses();
    return std::move(report_);
  }

 private:
  absl::Status RunPasses() {
    if (absl::Status s = CheckOptions(); !s.ok()) return s;
    if (!options_.embeddings.empty()) {
      absl::StatusOr<KeyedEmbeddings> keyed = KeyedEmbeddings::Read(
          options_.embeddings, options_.embedding_ids, sink_.limits().dim);
      if (!keyed.ok()) return keyed.status();
      keyed_ = *std::move(keyed);
    }
    if (options_.on_error == OnError::kAbort) {
      if (absl::Status s = Pass(Phase::kCheck); !s.ok()) return s;
      if (report_.bad > 0) {
        report_.refused = true;
        return absl::OkStatus();
      }
      new_items_.clear();
    }
    absl::Status loaded =
        Pass(options_.on_error == OnError::kAbort ? Phase::kLoadChecked : Phase::kLoad);
    // What was written is made durable even when the load stopped early, so
    // that the report of what was loaded holds.
    observer_.OnFinishing();
    absl::Status finished = sink_.Finish();
    return loaded.ok() ? finished : loaded;
  }

  absl::Status CheckOptions() const {
    if (options_.items.empty() && options_.users.empty() && options_.creators.empty() &&
        options_.events.empty() && options_.embeddings.empty()) {
      return absl::InvalidArgumentError("nothing to import: name at least one file");
    }
    if (options_.embeddings.empty() != options_.embedding_ids.empty()) {
      return absl::InvalidArgumentError(
          "embeddings need both the matrix file and its ids file");
    }
    if (options_.embeddings_for != v1::EMBEDDING_TARGET_ITEMS &&
        options_.embeddings_for != v1::EMBEDDING_TARGET_USERS) {
      return absl::InvalidArgumentError("embeddings are for items or for users");
    }
    return absl::OkStatus();
  }

  // The file keyed embeddings are joined onto; empty when they are sent on
  // their own.
  const fs::path& JoinFile() const {
    return options_.embeddings_for == v1::EMBEDDING_TARGET_ITEMS ? options_.items
                                                                 : options_.users;
  }

  absl::Status Pass(Phase phase) {
    phase_ = phase;
    first_pass_ = phase != Phase::kLoadChecked;
    pass_rows_ = 0;
    pass_bytes_ = 0;
    uint64_t total = 0;
    for (const fs::path* file :
         {&options_.creators, &options_.items, &options_.users, &options_.events}) {
      if (!file->empty()) total += SizeOf(*file);
    }
    if (keyed_.has_value() && JoinFile().empty()) total += SizeOf(options_.embeddings);
    observer_.OnPass(phase == Phase::kCheck ? "checking" : "loading", total);
    if (keyed_.has_value()) keyed_->ResetUse();

    if (!options_.creators.empty()) {
      if (absl::Status s = ImportFile<v1::Creator>(
              options_.creators, "creators", kMaxCatalogRows,
              [&](std::span<const v1::Creator> rows, bool validate_only) {
                return sink_.UpsertCreators(rows, validate_only);
              });
          !s.ok()) {
        return s;
      }
    }
    if (!options_.items.empty()) {
      if (absl::Status s = ImportFile<v1::Item>(
              options_.items, "items", kMaxCatalogRows,
              [&](std::span<const v1::Item> rows, bool validate_only) {
                return sink_.UpsertItems(rows, validate_only);
              });
          !s.ok()) {
        return s;
      }
    }
    if (!options_.users.empty()) {
      if (absl::Status s = ImportFile<v1::User>(
              options_.users, "users", kMaxCatalogRows,
              [&](std::span<const v1::User> rows, bool validate_only) {
                return sink_.UpsertUsers(rows, validate_only);
              });
          !s.ok()) {
        return s;
      }
    }
    if (keyed_.has_value()) {
      absl::Status s = JoinFile().empty() ? ImportEmbeddings() : ReportUnusedEmbeddings();
      if (!s.ok()) return s;
    }
    if (!options_.events.empty()) {
      if (absl::Status s = ImportFile<v1::Event>(
              options_.events, "events", kMaxEvents,
              [&](std::span<const v1::Event> rows, bool validate_only) {
                return sink_.RecordEvents(rows, validate_only);
              });
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  // A row refused before it reached the service.
  absl::Status Bad(BadRow row) {
    if (phase_ == Phase::kLoadChecked) {
      // It passed the check pass: the file changed since.
      return absl::FailedPreconditionError(
          absl::StrCat(ToString(row), " (the file changed after it was checked)"));
    }
    OnBad(row);
    return absl::OkStatus();
  }

  void OnBad(const BadRow& row) {
    ++report_.bad;
    observer_.OnBadRow(row);
  }

  void CountRow() {
    ++pass_rows_;
    if (first_pass_) ++report_.rows;
  }

  BatchCore::Options CoreOptions(const std::string& file,
                                 const std::string& field) const {
    return {.file = file, .field = field, .phase = phase_};
  }

  // Joins a keyed embedding onto `row`; returns the ids file line it came
  // from, 0 for none.
  template <typename Row>
  absl::StatusOr<int64_t> Join(Row& row) {
    if (!keyed_.has_value()) return 0;
    if constexpr (kHasEmbedding<Row>) {
      const bool target = (std::is_same_v<Row, v1::Item> &&
                           options_.embeddings_for == v1::EMBEDDING_TARGET_ITEMS) ||
                          (std::is_same_v<Row, v1::User> &&
                           options_.embeddings_for == v1::EMBEDDING_TARGET_USERS);
      if (!target) return 0;
      std::optional<int64_t> at = keyed_->Take(row.id());
      if (!at.has_value()) return 0;
      const int64_t line = KeyedEmbeddings::LineOf(*at);
      if (!row.embedding().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("embedding: given both in the row and on line ", line, " of ",
                         keyed_->ids_file()));
      }
      std::span<const float> values = keyed_->values(*at);
      row.mutable_embedding()->Assign(values.begin(), values.end());
      return line;
    }
    return 0;
  }

  template <typename Row>
  absl::Status ImportFile(const fs::path& path, const std::string& kind, size_t max_rows,
                          typename BatchLoader<Row>::Submit submit) {
    const std::string file = path.string();
    absl::StatusOr<std::unique_ptr<RowReader>> reader =
        RowReader::Open(path, *Row::descriptor());
    if (!reader.ok()) return reader.status();
    typename BatchLoader<Row>::Options options;
    options.core = CoreOptions(file, kind);
    options.max_rows = max_rows;
    if constexpr (std::is_same_v<Row, v1::Event>) {
      if (phase_ == Phase::kCheck && !new_items_.empty()) {
        options.loaded_first = [&](const v1::Event& event) {
          return new_items_.contains(event.item_id());
        };
      }
    }
    BatchLoader<Row> loader(std::move(options), std::move(submit),
                            [&](const BadRow& row) { OnBad(row); });
    const bool remember_items = std::is_same_v<Row, v1::Item> &&
                                phase_ == Phase::kCheck && !options_.events.empty();
    absl::Status read = ReadRows(**reader, file, loader, remember_items);
    report_.loaded[kind] += loader.written();
    if (!read.ok()) return read;
    pass_bytes_ += (*reader)->file_bytes();
    return absl::OkStatus();
  }

  // Reads, checks and hands on every row of one file.
  template <typename Row>
  absl::Status ReadRows(RowReader& reader, const std::string& file,
                        BatchLoader<Row>& loader, bool remember_items) {
    Row row;
    RowInfo info;
    while (true) {
      absl::StatusOr<bool> next = reader.Next(row, info);
      if (!next.ok()) {
        return absl::Status(next.status().code(),
                            absl::StrCat(file, ": ", next.status().message()));
      }
      if (!*next) break;
      CountRow();
      observer_.OnProgress(pass_rows_, pass_bytes_ + reader.bytes_read());
      if (!info.error.empty()) {
        if (absl::Status s = Bad({file, info.line, info.error}); !s.ok()) return s;
        continue;
      }
      absl::StatusOr<int64_t> joined = Join(row);
      if (!joined.ok()) {
        if (absl::Status s =
                Bad({file, info.line, std::string(joined.status().message())});
            !s.ok()) {
          return s;
        }
        continue;
      }
      if (absl::Status valid = CheckRow(row, sink_.limits()); !valid.ok()) {
        std::string message = FieldMessage(valid);
        if (*joined > 0 && message.starts_with("embedding")) {
          absl::StrAppend(&message, " (from line ", *joined, " of ", keyed_->ids_file(),
                          ")");
        }
        if (absl::Status s = Bad({file, info.line, std::move(message)}); !s.ok())
          return s;
        continue;
      }
      if constexpr (std::is_same_v<Row, v1::Item>) {
        if (remember_items) new_items_.insert(row.id());
      }
      if (absl::Status s = loader.Add(std::move(row), info.line); !s.ok()) return s;
    }
    return loader.Flush();
  }

  // Keyed embeddings without a file to join onto: replace stored ones.
  absl::Status ImportEmbeddings() {
    const std::string& file = keyed_->ids_file();
    const v1::EmbeddingTarget target = options_.embeddings_for;
    BatchLoader<v1::Embedding>::Options options;
    options.core = CoreOptions(file, "embeddings");
    options.max_rows = kMaxCatalogRows;
    BatchLoader<v1::Embedding> loader(
        std::move(options),
        [&](std::span<const v1::Embedding> rows, bool validate_only) {
          return sink_.SetEmbeddings(target, rows, validate_only);
        },
        [&](const BadRow& row) { OnBad(row); });
    const uint64_t size = SizeOf(options_.embeddings);
    absl::Status sent = SendEmbeddings(loader, size);
    report_.loaded["embeddings"] += loader.written();
    if (!sent.ok()) return sent;
    pass_bytes_ += size;
    return absl::OkStatus();
  }

  absl::Status SendEmbeddings(BatchLoader<v1::Embedding>& loader, uint64_t size) {
    const KeyedEmbeddings& keyed = *keyed_;
    const std::string& file = keyed.ids_file();
    for (int64_t r = 0; r < keyed.rows(); ++r) {
      CountRow();
      observer_.OnProgress(pass_rows_, pass_bytes_ + size * (r + 1) / keyed.rows());
      const int64_t line = KeyedEmbeddings::LineOf(r);
      v1::Embedding embedding;
      embedding.set_id(keyed.id(r));
      embedding.mutable_values()->Assign(keyed.values(r).begin(), keyed.values(r).end());
      // The same checks as the service's SetEmbeddings, with its field names.
      absl::Status valid = service::ValidateId(embedding.id(), "id", sink_.limits());
      if (valid.ok()) {
        valid = service::ValidateEmbedding(keyed.values(r), "values", sink_.limits(),
                                           /*required=*/true);
        if (!valid.ok()) {
          valid = absl::InvalidArgumentError(absl::StrCat(
              valid.message(), " (row ", line, " of ", keyed.matrix_file(), ")"));
        }
      }
      if (!valid.ok()) {
        if (absl::Status s = Bad({file, line, std::string(valid.message())}); !s.ok()) {
          return s;
        }
        continue;
      }
      if (absl::Status s = loader.Add(std::move(embedding), line); !s.ok()) return s;
    }
    return loader.Flush();
  }

  // Keyed embeddings whose id no row of the joined file has: most likely a
  // mismatch of files, never silently dropped.
  absl::Status ReportUnusedEmbeddings() {
    if (phase_ == Phase::kLoadChecked) return absl::OkStatus();  // reported by the check
    const char* what =
        options_.embeddings_for == v1::EMBEDDING_TARGET_ITEMS ? "item" : "user";
    for (int64_t r : keyed_->Unused()) {
      OnBad({keyed_->ids_file(), KeyedEmbeddings::LineOf(r),
             absl::StrCat("id: no ", what, " \"", keyed_->id(r), "\" in ",
                          JoinFile().string())});
    }
    return absl::OkStatus();
  }

  const ImportOptions& options_;
  Sink& sink_;
  ImportObserver& observer_;
  ImportReport report_;
  std::optional<KeyedEmbeddings> keyed_;
  // Ids of the items file's good rows, during the check pass of an import
  // with events: their events' NOT_FOUND in a dry run is expected.
  absl::flat_hash_set<std::string> new_items_;
  Phase phase_ = Phase::kCheck;
  bool first_pass_ = true;
  int64_t pass_rows_ = 0;
  uint64_t pass_bytes_ = 0;
};

}  // namespace

int64_t ImportReport::total_loaded() const {
  int64_t total = 0;
  for (const auto& [kind, n] : loaded) total += n;
  return total;
}

ImportReport Import(const ImportOptions& options, Sink& sink, ImportObserver& observer) {
  return Importer(options, sink, observer).Run();
}

}  // namespace zhongcao::tools
