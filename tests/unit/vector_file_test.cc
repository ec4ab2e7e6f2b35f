// Tests of tools/vectors: .npy and .fvecs matrices and id files, including the
// malformed files an offline pipeline hands over in practice.
#include "tools/vectors/vector_file.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zhongcao::tools {
namespace {

namespace fs = std::filesystem;

class VectorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("zhongcao_vector_file_test_") +
                                        info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Path(const std::string& name) const { return dir_ / name; }

  fs::path WriteBytes(const std::string& name, const std::string& bytes) const {
    std::ofstream out(Path(name), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return Path(name);
  }

  fs::path dir_;
};

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()),
                     values.size() * sizeof(T));
}

// A .npy header as NumPy writes it: magic, version, little-endian length, then
// the dict padded with spaces and a '\n' so the data starts at `total` bytes.
std::string NpyHeader(int major, const std::string& dict, size_t total = 128) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const size_t len_size = major == 1 ? 2 : 4;
  const size_t len = total - out.size() - len_size;
  for (size_t i = 0; i < len_size; ++i) out.push_back(static_cast<char>(len >> (8 * i)));
  std::string padded = dict;
  padded.append(len - dict.size() - 1, ' ');
  padded.push_back('\n');
  return out + padded;
}

const std::vector<float> k2x3 = {1, 2, 3, 4, 5, 6};

TEST_F(VectorFileTest, ReadsNpyFloat32AsNumpyWritesIt) {
  // Byte for byte what numpy 1.24 np.save() writes for a (2, 3) float32 array.
  const std::string header =
      NpyHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  ASSERT_EQ(header.size(), 128u);
  ASSERT_EQ(header.substr(6, 4), std::string("\x01\x00\x76\x00", 4));
  const fs::path file = WriteBytes("a.npy", header + Bytes(k2x3));
  int dim = 0;
  int64_t rows = 0;
  auto values = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(dim, 3);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(*values, k2x3);
}

TEST_F(VectorFileTest, ReadsNpyVersion2Float64) {
  const std::vector<double> doubles = {1.5, -2, 3, 4, 5, 6.25};
  const fs::path file = WriteBytes(
      "a.npy",
      NpyHeader(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }") +
          Bytes(doubles));
  int dim = 0;
  int64_t rows = 0;
  auto values = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(dim, 2);
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(*values, std::vector<float>({1.5f, -2, 3, 4, 5, 6.25f}));
}

TEST_F(VectorFileTest, ReadsNpyHeaderInAnyKeyOrderAndQuoting) {
  const fs::path file = WriteBytes(
      "a.npy",
      NpyHeader(1, "{\"shape\":(2,3),\"fortran_order\":False,\"descr\":\"<f4\"}", 64) +
          Bytes(k2x3));
  int dim = 0;
  int64_t rows = 0;
  auto values = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, k2x3);
}

TEST_F(VectorFileTest, RefusesUnsupportedNpy) {
  struct Case {
    std::string dict;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", "'<i4'"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "'>f4'"},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", "'<f2'"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", "1 dimensions"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", "3 dimensions"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6, 0), }", "dimension 0"},
      {"{'descr': '<f4', 'fortran_order': False}", "no 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'"},
  };
  for (const Case& c : cases) {
    const fs::path file = WriteBytes("bad.npy", NpyHeader(1, c.dict) + Bytes(k2x3));
    int dim = 0;
    int64_t rows = 0;
    auto values = ReadMatrix(file, &dim, &rows);
    ASSERT_FALSE(values.ok()) << c.dict;
    EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(values.status().message().find(c.message), absl::string_view::npos)
        << values.status();
    EXPECT_NE(values.status().message().find("bad.npy"), absl::string_view::npos)
        << values.status();
  }
}

TEST_F(VectorFileTest, RefusesTruncatedOrOverlongNpy) {
  const std::string header =
      NpyHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  const std::string full = header + Bytes(k2x3);
  int dim = 0;
  int64_t rows = 0;
  for (size_t cut :
       {size_t{0}, size_t{4}, size_t{9}, size_t{60}, header.size(), full.size() - 1}) {
    auto values = ReadMatrix(WriteBytes("cut.npy", full.substr(0, cut)), &dim, &rows);
    ASSERT_FALSE(values.ok()) << "cut at " << cut;
    EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto longer = ReadMatrix(WriteBytes("long.npy", full + "xxxx"), &dim, &rows);
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("after"), absl::string_view::npos);

  // A shape far larger than the file must fail before it allocates.
  auto huge =
      ReadMatrix(WriteBytes("huge.npy",
                            NpyHeader(1,
                                      "{'descr': '<f4', 'fortran_order': False, 'shape': "
                                      "(1000000000000, 64), }") +
                                Bytes(k2x3)),
                 &dim, &rows);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("truncated"), absl::string_view::npos);

  auto v3 = ReadMatrix(
      WriteBytes("v3.npy", NpyHeader(3,
                                     "{'descr': '<f4', 'fortran_order': False, "
                                     "'shape': (2, 3), }") +
                               Bytes(k2x3)),
      &dim, &rows);
  ASSERT_FALSE(v3.ok());
  EXPECT_NE(v3.status().message().find("version 3"), absl::string_view::npos);

  auto not_npy = ReadMatrix(WriteBytes("text.npy", std::string(200, 'a')), &dim, &rows);
  ASSERT_FALSE(not_npy.ok());
  EXPECT_NE(not_npy.status().message().find("magic"), absl::string_view::npos);
}

TEST_F(VectorFileTest, NpyRoundTrip) {
  std::vector<float> values(5 * 64);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i) - 3;
  const fs::path file = Path("m.npy");
  ASSERT_TRUE(WriteMatrix(file, values.data(), 5, 64).ok());
  EXPECT_FALSE(fs::exists(Path("m.npy.tmp")));

  // The data starts on a 64-byte boundary and the header is NumPy's own.
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ((bytes.size() - values.size() * 4) % 64, 0u);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 64), }"),
            std::string::npos);

  int dim = 0;
  int64_t rows = 0;
  auto read = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(dim, 64);
  EXPECT_EQ(rows, 5);
  EXPECT_EQ(*read, values);
}

TEST_F(VectorFileTest, NpyWithZeroRows) {
  const fs::path file = Path("empty.npy");
  ASSERT_TRUE(WriteMatrix(file, nullptr, 0, 8).ok());
  int dim = 0;
  int64_t rows = -1;
  auto read = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(dim, 8);
  EXPECT_EQ(rows, 0);
}

TEST_F(VectorFileTest, FvecsRoundTrip) {
  const fs::path file = Path("m.fvecs");
  ASSERT_TRUE(WriteMatrix(file, k2x3.data(), 2, 3).ok());
  EXPECT_EQ(fs::file_size(file), 2u * (4 + 3 * 4));
  int dim = 0;
  int64_t rows = 0;
  auto read = ReadMatrix(file, &dim, &rows);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(dim, 3);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(*read, k2x3);
}

std::string FvecsRow(int32_t dim, const std::vector<float>& values) {
  std::string row(reinterpret_cast<const char*>(&dim), 4);
  return row + Bytes(values);
}

TEST_F(VectorFileTest, FvecsDimensionMismatchNamesTheRow) {
  const fs::path file = WriteBytes(
      "bad.fvecs", FvecsRow(2, {1, 2}) + FvecsRow(2, {3, 4}) + FvecsRow(3, {5, 6, 7}));
  int dim = 0;
  int64_t rows = 0;
  auto read = ReadMatrix(file, &dim, &rows);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("row 2 has dimension 3, but row 0 has 2"),
            absl::string_view::npos)
      << read.status();
}

TEST_F(VectorFileTest, RefusesTruncatedOrEmptyFvecs) {
  int dim = 0;
  int64_t rows = 0;
  const std::string full = FvecsRow(2, {1, 2}) + FvecsRow(2, {3, 4});
  auto cut_row =
      ReadMatrix(WriteBytes("a.fvecs", full.substr(0, full.size() - 1)), &dim, &rows);
  ASSERT_FALSE(cut_row.ok());
  EXPECT_NE(cut_row.status().message().find("row 1: truncated"), absl::string_view::npos)
      << cut_row.status();
  auto cut_dim = ReadMatrix(WriteBytes("b.fvecs", full + "\x02\x00"), &dim, &rows);
  ASSERT_FALSE(cut_dim.ok());
  EXPECT_NE(cut_dim.status().message().find("row 2"), absl::string_view::npos);
  auto bad_dim = ReadMatrix(WriteBytes("c.fvecs", FvecsRow(-1, {})), &dim, &rows);
  ASSERT_FALSE(bad_dim.ok());
  auto empty = ReadMatrix(WriteBytes("d.fvecs", ""), &dim, &rows);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), absl::string_view::npos);
}

TEST_F(VectorFileTest, UnknownExtensionAndMissingFile) {
  int dim = 0;
  int64_t rows = 0;
  auto unknown = ReadMatrix(Path("m.csv"), &dim, &rows);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(WriteMatrix(Path("m.bin"), k2x3.data(), 2, 3).ok());
  auto missing = ReadMatrix(Path("absent.npy"), &dim, &rows);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(VectorFileTest, Ids) {
  ASSERT_TRUE(WriteIds(Path("a.ids"), {"x", "y", "z"}).ok());
  auto ids = ReadIds(Path("a.ids"));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>({"x", "y", "z"}));

  auto crlf = ReadIds(WriteBytes("crlf.ids", "a\r\nb\r\nc"));
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(*crlf, std::vector<std::string>({"a", "b", "c"}));

  auto blank = ReadIds(WriteBytes("blank.ids", "a\n\nb\n"));
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("line 2 is blank"), absl::string_view::npos);

  EXPECT_FALSE(WriteIds(Path("b.ids"), {"a", "b\nc"}).ok());
  EXPECT_FALSE(WriteIds(Path("b.ids"), {""}).ok());
  EXPECT_FALSE(fs::exists(Path("b.ids")));
}

TEST_F(VectorFileTest, VectorSet) {
  VectorSet set;
  set.dim = 3;
  set.ids = {"i1", "i2"};
  set.values = k2x3;
  ASSERT_TRUE(WriteVectorSet(Path("s.npy"), Path("s.ids"), set).ok());
  auto read = ReadVectorSet(Path("s.npy"), Path("s.ids"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->ids, set.ids);
  EXPECT_EQ(read->values, set.values);
  EXPECT_EQ(read->row(1)[0], 4.0f);

  WriteBytes("three.ids", "a\nb\nc\n");
  auto mismatch = ReadVectorSet(Path("s.npy"), Path("three.ids"));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("2 rows but"), absl::string_view::npos);

  WriteBytes("dup.ids", "a\na\n");
  auto dup = ReadVectorSet(Path("s.npy"), Path("dup.ids"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("'a' is on lines 1 and 2"),
            absl::string_view::npos)
      << dup.status();

  set.values.pop_back();
  EXPECT_FALSE(WriteVectorSet(Path("t.npy"), Path("t.ids"), set).ok());
}

// Our .npy must also be what NumPy reads. Only runs where Debian's python3-numpy
// is installed; the hand-built headers above cover the format without it.
TEST_F(VectorFileTest, NumpyReadsWhatWeWriteAndWeReadWhatItWrites) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy is not installed";
  }
  ASSERT_TRUE(WriteMatrix(Path("ours.npy"), k2x3.data(), 2, 3).ok());
  const std::string script =
      "import numpy as np, sys; d = sys.argv[1]; a = np.load(d + '/ours.npy'); "
      "assert a.dtype == np.float32 and a.shape == (2, 3), a; "
      "assert (a == np.arange(1, 7, dtype=np.float32).reshape(2, 3)).all(); "
      "np.save(d + '/theirs.npy', (a * 2).astype(np.float64))";
  const std::string command =
      "/usr/bin/python3 -c \"" + script + "\" '" + dir_.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  int dim = 0;
  int64_t rows = 0;
  auto theirs = ReadMatrix(Path("theirs.npy"), &dim, &rows);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(*theirs, std::vector<float>({2, 4, 6, 8, 10, 12}));
}

}  // namespace
}  // namespace zhongcao::tools
