// SVHN .mat reader, on MATLAB v5 files written here with matio.
#include <gtest/gtest.h>
#include <matio.h>

#include "dcl/data/readers.h"
#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::TempDir;

uint8_t pixel(int n, int c, int y, int x) { return uint8_t(n * 60 + c * 75 + y * 3 + x * 5); }

// X as MATLAB stores it: 32x32x3xN, column-major, so element (y, x, c, n) is at
// y + 32 * x + 1024 * c + 3072 * n.
std::vector<uint8_t> svhn_x(int count) {
  std::vector<uint8_t> x(size_t(count) * 3072);
  for (int n = 0; n < count; ++n)
    for (int c = 0; c < 3; ++c)
      for (int col = 0; col < 32; ++col)
        for (int row = 0; row < 32; ++row) x[row + 32 * col + 1024 * c + 3072 * n] = pixel(n, c, row, col);
  return x;
}

struct MatVar {
  std::string name;
  matio_classes cls;
  matio_types type;
  std::vector<size_t> dims;
  void* data;
};

void write_mat(const std::string& path, const std::vector<MatVar>& vars, matio_compression z = MAT_COMPRESSION_NONE) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  for (const MatVar& v : vars) {
    std::vector<size_t> dims = v.dims;
    matvar_t* var = Mat_VarCreate(v.name.c_str(), v.cls, v.type, int(dims.size()), dims.data(), v.data, 0);
    ASSERT_NE(var, nullptr);
    ASSERT_EQ(Mat_VarWrite(mat, var, z), 0);
    Mat_VarFree(var);
  }
  Mat_Close(mat);
}

void write_svhn(const std::string& path, int count, std::vector<double> labels,
                matio_compression z = MAT_COMPRESSION_NONE) {
  auto x = svhn_x(count);
  write_mat(path,
            {{"X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, size_t(count)}, x.data()},
             {"y", MAT_C_DOUBLE, MAT_T_DOUBLE, {labels.size(), 1}, labels.data()}},
            z);
}

void expect_pixels(const ImageSet& s) {
  ASSERT_EQ(s.channels, 3);
  ASSERT_EQ(s.height, 32);
  ASSERT_EQ(s.width, 32);
  for (int n = 0; n < s.count; ++n)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) ASSERT_EQ(s.image(n)[(c * 32 + y) * 32 + x], pixel(n, c, y, x));
}

TEST(SvhnReader, ReadsImagesAndMapsLabelTenToZero) {
  TempDir dir;
  write_svhn(dir.file("train_32x32.mat"), 3, {10, 1, 5});
  const ImageSet s = read_svhn(dir.file("train_32x32.mat"));
  ASSERT_EQ(s.count, 3);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{0, 1, 5}));
  expect_pixels(s);
}

TEST(SvhnReader, CompressedFileAndUint8Labels) {
  TempDir dir;
  auto x = svhn_x(2);
  std::vector<uint8_t> y = {3, 10};
  write_mat(
      dir.file("test_32x32.mat"),
      {{"X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, 2}, x.data()}, {"y", MAT_C_UINT8, MAT_T_UINT8, {1, 2}, y.data()}},
      MAT_COMPRESSION_ZLIB);
  const ImageSet s = read_svhn(dir.file("test_32x32.mat"));
  EXPECT_EQ(s.labels, (std::vector<int32_t>{3, 0}));
  expect_pixels(s);
}

TEST(SvhnReader, SingleImageWithoutTrailingDimension) {
  TempDir dir;
  auto x = svhn_x(1);
  double y = 7;
  write_mat(dir.file("one.mat"),
            {{"X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3}, x.data()}, {"y", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 1}, &y}});
  const ImageSet s = read_svhn(dir.file("one.mat"));
  ASSERT_EQ(s.count, 1);
  EXPECT_EQ(s.labels[0], 7);
  expect_pixels(s);
}

TEST(SvhnReader, MissingFile) {
  TempDir dir;
  expect_data_error({"train_32x32.mat", "not found"}, [&] { read_svhn(dir.file("train_32x32.mat")); });
}

TEST(SvhnReader, NotAMatFile) {
  TempDir dir;
  test::write_bytes(dir.file("junk.mat"), std::vector<uint8_t>(300, 'x'));
  expect_data_error({"junk.mat"}, [&] { read_svhn(dir.file("junk.mat")); });
  test::write_bytes(dir.file("empty.mat"), {});
  expect_data_error({"empty.mat"}, [&] { read_svhn(dir.file("empty.mat")); });
}

TEST(SvhnReader, TruncatedFile) {
  TempDir dir;
  write_svhn(dir.file("full.mat"), 4, {1, 2, 3, 4});
  std::ifstream in(dir.file("full.mat"), std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (size_t keep : {size_t(100), size_t(200), bytes.size() / 2, bytes.size() - 8}) {
    test::write_bytes(dir.file("cut.mat"), std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    expect_data_error({"cut.mat"}, [&] { read_svhn(dir.file("cut.mat")); });
  }
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_le32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.at(at + size_t(i)) = uint8_t(v >> (8 * i));
}

// Fuzzing regression: a dimensions tag claiming ~3.8 GB made matio 1.5.23 try to allocate 7.6 GB
// (in Mat_VarReadInfo) for a 188-byte file. The header check must reject it first.
TEST(SvhnReader, HugeDimensionsTagIsRejectedBeforeMatio) {
  TempDir dir;
  write_svhn(dir.file("ok.mat"), 1, {1});
  auto bytes = file_bytes(dir.file("ok.mat"));
  // 128-byte file header, matrix tag (8), array flags (16), then the dimensions tag.
  ASSERT_EQ(bytes[128 + 24], 5);  // miINT32
  put_le32(bytes, 128 + 28, 0xe5000010u);
  test::write_bytes(dir.file("dims.mat"), bytes);
  expect_data_error({"dims.mat", "offset 128", "dimensions"}, [&] { read_svhn(dir.file("dims.mat")); });
}

TEST(SvhnReader, DamagedHeadersAreRejected) {
  TempDir dir;
  write_svhn(dir.file("ok.mat"), 1, {1});
  const auto good = file_bytes(dir.file("ok.mat"));

  auto big = good;
  put_le32(big, 132, 0x7fffffffu);  // the first variable claims 2 GB
  test::write_bytes(dir.file("big.mat"), big);
  expect_data_error({"big.mat", "truncated: the element claims 2147483647"}, [&] { read_svhn(dir.file("big.mat")); });

  auto v73 = good;
  v73[124] = 0x00;
  v73[125] = 0x02;
  test::write_bytes(dir.file("v73.mat"), v73);
  expect_data_error({"v73.mat", "v7.3"}, [&] { read_svhn(dir.file("v73.mat")); });

  auto other = good;
  put_le32(other, 128, 3);  // not miMATRIX / miCOMPRESSED
  test::write_bytes(dir.file("type.mat"), other);
  expect_data_error({"type.mat", "element type 3"}, [&] { read_svhn(dir.file("type.mat")); });

  auto cell = good;
  cell[128 + 16] = 1;  // array class: cell
  test::write_bytes(dir.file("cell.mat"), cell);
  expect_data_error({"cell.mat", "unsupported array class 1"}, [&] { read_svhn(dir.file("cell.mat")); });
}

TEST(SvhnReader, WrongShapeOrClass) {
  TempDir dir;
  std::vector<uint8_t> grey(32 * 32 * 2);
  std::vector<double> y = {1, 2};
  write_mat(dir.file("grey.mat"), {{"X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 1, 2}, grey.data()},
                                   {"y", MAT_C_DOUBLE, MAT_T_DOUBLE, {2, 1}, y.data()}});
  expect_data_error({"grey.mat", "X must be", "32x32x1x2"}, [&] { read_svhn(dir.file("grey.mat")); });

  std::vector<double> xd(3072, 1.0);
  double y1 = 1;
  write_mat(dir.file("double.mat"), {{"X", MAT_C_DOUBLE, MAT_T_DOUBLE, {32, 32, 3, 1}, xd.data()},
                                     {"y", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 1}, &y1}});
  expect_data_error({"double.mat", "uint8"}, [&] { read_svhn(dir.file("double.mat")); });
}

TEST(SvhnReader, MissingVariable) {
  TempDir dir;
  auto x = svhn_x(1);
  write_mat(dir.file("no_y.mat"), {{"X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, 1}, x.data()}});
  expect_data_error({"no_y.mat", "'y'"}, [&] { read_svhn(dir.file("no_y.mat")); });
  double y = 1;
  write_mat(dir.file("no_x.mat"), {{"y", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 1}, &y}});
  expect_data_error({"no_x.mat", "'X'"}, [&] { read_svhn(dir.file("no_x.mat")); });
}

TEST(SvhnReader, CountMismatch) {
  TempDir dir;
  write_svhn(dir.file("m.mat"), 3, {1, 2});
  expect_data_error({"m.mat", "count mismatch: y has 2 labels, X has 3"}, [&] { read_svhn(dir.file("m.mat")); });
}

TEST(SvhnReader, LabelOutOfRange) {
  TempDir dir;
  for (double bad : {0.0, 11.0, 2.5, -1.0}) {
    write_svhn(dir.file("l.mat"), 2, {1, bad});
    expect_data_error({"l.mat", "label y(2)", "[1, 10]"}, [&] { read_svhn(dir.file("l.mat")); });
  }
}

}  // namespace
}  // namespace dcl::data
