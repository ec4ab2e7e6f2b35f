#include "tools/vectors/vector_file.h"

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace zhongcao::tools {
namespace {

// Both formats are little-endian on disk; reading them into memory verbatim is
// only right on a little-endian host, which is every machine we deploy on.
static_assert(std::endian::native == std::endian::little,
              "vector_file assumes a little-endian host");

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;

enum class Format { kNpy, kFvecs };

absl::StatusOr<Format> FormatOf(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".npy") return Format::kNpy;
  if (ext == ".fvecs") return Format::kFvecs;
  return absl::InvalidArgumentError(absl::StrCat(
      file.string(), ": unknown matrix format '", ext, "', expected .npy or .fvecs"));
}

absl::Status OpenError(const std::filesystem::path& file, int err) {
  std::string message =
      absl::StrCat(file.string(), ": cannot open: ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  return absl::FailedPreconditionError(message);
}

absl::Status Invalid(const std::filesystem::path& file, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file.string(), ": ", what));
}

// ---- .npy header ------------------------------------------------------------

// The header is a Python dict literal. NumPy writes it in one fixed shape, but
// other writers (and older NumPy) vary spacing, quoting and key order, so this
// is a small tokenizer rather than a string match.
class DictParser {
 public:
  explicit DictParser(absl::string_view text) : text_(text) {}

  struct Header {
    std::string descr;
    std::optional<bool> fortran_order;
    std::optional<std::vector<int64_t>> shape;
  };

  absl::StatusOr<Header> Parse() {
    Header header;
    if (!Consume('{')) return Error("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      if (!ParseString(&key)) return Error("expected a quoted key");
      if (!Consume(':')) return Error("expected ':'");
      if (key == "descr") {
        if (!ParseString(&header.descr)) return Error("'descr' is not a string");
      } else if (key == "fortran_order") {
        SkipSpace();
        if (ConsumeWord("True")) {
          header.fortran_order = true;
        } else if (ConsumeWord("False")) {
          header.fortran_order = false;
        } else {
          return Error("'fortran_order' is not True or False");
        }
      } else if (key == "shape") {
        std::vector<int64_t> shape;
        if (!ParseTuple(&shape)) return Error("'shape' is not a tuple of integers");
        header.shape = std::move(shape);
      } else {
        return Error(absl::StrCat("unexpected key '", key, "'"));
      }
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) break;
      return Error("expected ',' or '}'");
    }
    return header;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("bad .npy header at byte ", pos_, ": ", what));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ConsumeWord(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseString(std::string* out) {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return false;
    }
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == absl::string_view::npos) return false;
    *out = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }

  bool ParseTuple(std::vector<int64_t>* out) {
    if (!Consume('(')) return false;
    while (true) {
      SkipSpace();
      if (Consume(')')) return true;
      const size_t start = pos_;
      while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) ++pos_;
      // Python 2 era writers append 'L' to longs.
      int64_t value = 0;
      if (!absl::SimpleAtoi(text_.substr(start, pos_ - start), &value)) return false;
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      out->push_back(value);
      if (Consume(',')) continue;
      if (Consume(')')) return true;
      return false;
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

template <typename T>
T LoadLittle(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

uint64_t Remaining(std::ifstream& in, uint64_t file_size) {
  const auto at = static_cast<uint64_t>(in.tellg());
  return at < file_size ? file_size - at : 0;
}

absl::StatusOr<std::vector<float>> ReadNpy(const std::filesystem::path& file,
                                           std::ifstream& in, uint64_t file_size,
                                           int* dim, int64_t* rows) {
  char prefix[kNpyMagicSize + 2];
  if (!in.read(prefix, sizeof(prefix))) {
    return Invalid(file, "too short to be a .npy file");
  }
  if (std::memcmp(prefix, kNpyMagic, kNpyMagicSize) != 0) {
    return Invalid(file, "not a .npy file (no \\x93NUMPY magic)");
  }
  const int major = static_cast<unsigned char>(prefix[kNpyMagicSize]);
  uint32_t header_len = 0;
  if (major == 1) {
    char len[2];
    if (!in.read(len, 2)) return Invalid(file, "truncated .npy header");
    header_len = LoadLittle<uint16_t>(len);
  } else if (major == 2) {
    char len[4];
    if (!in.read(len, 4)) return Invalid(file, "truncated .npy header");
    header_len = LoadLittle<uint32_t>(len);
  } else {
    return Invalid(file, absl::StrCat(".npy format version ", major,
                                      " is not supported (only 1 and 2)"));
  }
  // A 2-D header is under 200 bytes; anything vast is a corrupt length field.
  if (header_len > (1u << 20)) return Invalid(file, "implausible .npy header length");
  std::string header_text(header_len, '\0');
  if (!in.read(header_text.data(), header_len)) {
    return Invalid(file, "truncated .npy header");
  }
  auto header = DictParser(header_text).Parse();
  if (!header.ok()) return Invalid(file, header.status().message());

  size_t item_size = 0;
  if (header->descr == "<f4") {
    item_size = 4;
  } else if (header->descr == "<f8") {
    item_size = 8;
  } else {
    return Invalid(file, absl::StrCat("dtype '", header->descr,
                                      "' is not supported; write float32 ('<f4') or "
                                      "float64 ('<f8'), little-endian"));
  }
  if (!header->fortran_order.has_value()) {
    return Invalid(file, ".npy header has no 'fortran_order'");
  }
  if (*header->fortran_order) {
    return Invalid(file,
                   "array is in Fortran (column-major) order; save a C-ordered array, "
                   "e.g. numpy.ascontiguousarray(a)");
  }
  if (!header->shape.has_value()) return Invalid(file, ".npy header has no 'shape'");
  if (header->shape->size() != 2) {
    return Invalid(file, absl::StrCat("array has ", header->shape->size(),
                                      " dimensions; expected a 2-D (rows, dim) matrix"));
  }
  const int64_t n = (*header->shape)[0];
  const int64_t d = (*header->shape)[1];
  if (d <= 0 || d > std::numeric_limits<int>::max()) {
    return Invalid(file, absl::StrCat("bad row dimension ", d));
  }
  if (n < 0 || (n > 0 && n > std::numeric_limits<int64_t>::max() /
                                 static_cast<int64_t>(d * item_size))) {
    return Invalid(file, absl::StrCat("bad row count ", n));
  }

  const size_t count = static_cast<size_t>(n) * static_cast<size_t>(d);
  // Checked before allocating, so a corrupt shape cannot ask for terabytes.
  const uint64_t remaining = Remaining(in, file_size);
  if (remaining < count * item_size) {
    return Invalid(
        file, absl::StrCat("truncated: the header promises ", n, " x ", d, " values (",
                           count * item_size, " bytes), the file has ", remaining));
  }
  if (remaining > count * item_size) {
    return Invalid(
        file, absl::StrCat("has ", remaining - count * item_size, " bytes after the ", n,
                           " x ", d, " values its header declares"));
  }
  std::vector<float> values(count);
  if (item_size == 4) {
    in.read(reinterpret_cast<char*>(values.data()),
            static_cast<std::streamsize>(count * 4));
    if (static_cast<size_t>(in.gcount()) != count * 4) {
      return Invalid(file, absl::StrCat("truncated: the header promises ", n, " x ", d,
                                        " float32 values"));
    }
  } else {
    // Convert in chunks so a float64 file never needs twice its size in memory.
    std::vector<double> chunk(1 << 16);
    for (size_t done = 0; done < count;) {
      const size_t take = std::min(chunk.size(), count - done);
      in.read(reinterpret_cast<char*>(chunk.data()),
              static_cast<std::streamsize>(take * 8));
      if (static_cast<size_t>(in.gcount()) != take * 8) {
        return Invalid(file, absl::StrCat("truncated: the header promises ", n, " x ", d,
                                          " float64 values"));
      }
      for (size_t i = 0; i < take; ++i) values[done + i] = static_cast<float>(chunk[i]);
      done += take;
    }
  }
  *dim = static_cast<int>(d);
  *rows = n;
  return values;
}

absl::StatusOr<std::vector<float>> ReadFvecs(const std::filesystem::path& file,
                                             std::ifstream& in, uint64_t file_size,
                                             int* dim, int64_t* rows) {
  std::vector<float> values;
  int expected = 0;
  int64_t row = 0;
  while (true) {
    char len[4];
    in.read(len, 4);
    if (in.gcount() == 0) break;
    if (in.gcount() != 4) {
      return Invalid(file, absl::StrCat("row ", row, ": truncated dimension field"));
    }
    const int32_t d = LoadLittle<int32_t>(len);
    if (d <= 0) {
      return Invalid(file, absl::StrCat("row ", row, ": bad dimension ", d));
    }
    if (row == 0) {
      expected = d;
    } else if (d != expected) {
      return Invalid(file, absl::StrCat("row ", row, " has dimension ", d,
                                        ", but row 0 has ", expected));
    }
    if (Remaining(in, file_size) < static_cast<uint64_t>(d) * 4) {
      return Invalid(file, absl::StrCat("row ", row, ": truncated, expected ", d,
                                        " float32 values"));
    }
    const size_t at = values.size();
    values.resize(at + static_cast<size_t>(d));
    in.read(reinterpret_cast<char*>(values.data() + at),
            static_cast<std::streamsize>(d) * 4);
    if (in.gcount() != static_cast<std::streamsize>(d) * 4) {
      return Invalid(file, absl::StrCat("row ", row, ": truncated, expected ", d,
                                        " float32 values"));
    }
    ++row;
  }
  if (row == 0) return Invalid(file, "is empty, so its dimension is unknown");
  *dim = expected;
  *rows = row;
  return values;
}

// ---- writing ------------------------------------------------------------------

std::string NpyHeader(int64_t rows, int dim) {
  std::string dict = absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (",
                                  rows, ", ", dim, "), }");
  // NumPy pads so the data starts on a 64-byte boundary, ending in '\n'.
  const size_t prefix = kNpyMagicSize + 2 + 2;
  const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string header(kNpyMagic, kNpyMagicSize);
  header.push_back('\x01');
  header.push_back('\x00');
  const uint16_t len = static_cast<uint16_t>(dict.size());
  header.push_back(static_cast<char>(len & 0xff));
  header.push_back(static_cast<char>(len >> 8));
  return header + dict;
}

// Writes through `<file>.tmp` in the same directory and renames it into place,
// so a reader never sees half a file and a crash leaves the old one intact.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path file)
      : file_(std::move(file)), temp_(file_.string() + ".tmp") {}
  ~AtomicFile() {
    if (out_ != nullptr) std::fclose(out_);
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(temp_, ignored);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  absl::Status Open() {
    out_ = std::fopen(temp_.c_str(), "wb");
    if (out_ == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(temp_.string(), ": cannot create: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Write(const void* data, size_t size) {
    if (size > 0 && std::fwrite(data, 1, size, out_) != size) {
      return absl::InternalError(
          absl::StrCat(temp_.string(), ": write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Commit() {
    const bool flushed = std::fflush(out_) == 0 && ::fsync(fileno(out_)) == 0;
    const int err = errno;
    const bool closed = std::fclose(out_) == 0;
    out_ = nullptr;
    if (!flushed || !closed) {
      return absl::InternalError(
          absl::StrCat(temp_.string(), ": write failed: ", std::strerror(err)));
    }
    std::error_code ec;
    std::filesystem::rename(temp_, file_, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("cannot rename ", temp_.string(), " to ",
                                              file_.string(), ": ", ec.message()));
    }
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  std::filesystem::path file_;
  std::filesystem::path temp_;
  std::FILE* out_ = nullptr;
  bool committed_ = false;
};

}  // namespace

absl::StatusOr<std::vector<float>> ReadMatrix(const std::filesystem::path& file, int* dim,
                                              int64_t* rows) {
  auto format = FormatOf(file);
  if (!format.ok()) return format.status();
  std::ifstream in(file, std::ios::binary);
  if (!in) return OpenError(file, errno);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return Invalid(file, absl::StrCat("cannot stat: ", ec.message()));
  return *format == Format::kNpy ? ReadNpy(file, in, size, dim, rows)
                                 : ReadFvecs(file, in, size, dim, rows);
}

absl::Status WriteMatrix(const std::filesystem::path& file, const float* values,
                         int64_t rows, int dim) {
  auto format = FormatOf(file);
  if (!format.ok()) return format.status();
  if (dim <= 0) return Invalid(file, absl::StrCat("bad dimension ", dim));
  if (rows < 0) return Invalid(file, absl::StrCat("bad row count ", rows));
  if (rows > 0 && values == nullptr) return Invalid(file, "no values to write");

  AtomicFile out(file);
  if (absl::Status s = out.Open(); !s.ok()) return s;
  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(float);
  if (*format == Format::kNpy) {
    const std::string header = NpyHeader(rows, dim);
    if (absl::Status s = out.Write(header.data(), header.size()); !s.ok()) return s;
    if (absl::Status s = out.Write(values, static_cast<size_t>(rows) * row_bytes);
        !s.ok()) {
      return s;
    }
  } else {
    const int32_t d = dim;
    for (int64_t r = 0; r < rows; ++r) {
      if (absl::Status s = out.Write(&d, sizeof(d)); !s.ok()) return s;
      if (absl::Status s = out.Write(values + r * dim, row_bytes); !s.ok()) return s;
    }
  }
  return out.Commit();
}

absl::StatusOr<std::vector<std::string>> ReadIds(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return OpenError(file, errno);
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    // Files edited on Windows end lines in CRLF; the '\r' is never part of an id.
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      return Invalid(file, absl::StrCat("line ", ids.size() + 1, " is blank"));
    }
    ids.push_back(std::move(line));
  }
  if (in.bad()) return absl::InternalError(absl::StrCat(file.string(), ": read failed"));
  return ids;
}

absl::Status WriteIds(const std::filesystem::path& file,
                      const std::vector<std::string>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || ids[i].find_first_of("\r\n") != std::string::npos) {
      return Invalid(file, absl::StrCat("id ", i, " is empty or holds a line break"));
    }
  }
  AtomicFile out(file);
  if (absl::Status s = out.Open(); !s.ok()) return s;
  for (const std::string& id : ids) {
    if (absl::Status s = out.Write(id.data(), id.size()); !s.ok()) return s;
    if (absl::Status s = out.Write("\n", 1); !s.ok()) return s;
  }
  return out.Commit();
}

absl::StatusOr<VectorSet> ReadVectorSet(const std::filesystem::path& matrix,
                                        const std::filesystem::path& ids) {
  VectorSet set;
  int64_t rows = 0;
  auto values = ReadMatrix(matrix, &set.dim, &rows);
  if (!values.ok()) return values.status();
  auto names = ReadIds(ids);
  if (!names.ok()) return names.status();
  if (static_cast<int64_t>(names->size()) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(matrix.string(), " has ", rows,
                                                   " rows but ", ids.string(), " has ",
                                                   names->size(), " ids"));
  }
  absl::flat_hash_map<absl::string_view, size_t> first_line;
  first_line.reserve(names->size());
  for (size_t i = 0; i < names->size(); ++i) {
    auto [it, inserted] = first_line.emplace((*names)[i], i);
    if (!inserted) {
      return Invalid(ids, absl::StrCat("id '", (*names)[i], "' is on lines ",
                                       it->second + 1, " and ", i + 1));
    }
  }
  set.ids = *std::move(names);
  set.values = *std::move(values);
  return set;
}

absl::Status WriteVectorSet(const std::filesystem::path& matrix,
                            const std::filesystem::path& ids, const VectorSet& set) {
  if (set.dim <= 0 || set.values.size() != static_cast<size_t>(set.rows()) *
                                               static_cast<size_t>(set.dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("vector set of ", set.rows(), " ids and dimension ", set.dim,
                     " holds ", set.values.size(), " values"));
  }
  if (absl::Status s = WriteMatrix(matrix, set.values.data(), set.rows(), set.dim);
      !s.ok()) {
    return s;
  }
  return WriteIds(ids, set.ids);
}

}  // namespace zhongcao::tools
