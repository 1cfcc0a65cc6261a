// STL-10 binary reader: column-major planes become row-major, labels 1..10 become 0..9.
#include <gtest/gtest.h>

#include "dcl/data/readers.h"
#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::TempDir;

uint8_t pixel(int n, int c, int y, int x) { return uint8_t(n * 50 + c * 70 + y * 2 + x * 7); }

// Native layout: per sample, per channel, x-major (column-major) 96x96 plane.
std::vector<uint8_t> stl_images(int count) {
  std::vector<uint8_t> b;
  for (int n = 0; n < count; ++n)
    for (int c = 0; c < 3; ++c)
      for (int x = 0; x < 96; ++x)
        for (int y = 0; y < 96; ++y) b.push_back(pixel(n, c, y, x));
  return b;
}

TEST(Stl10Reader, TransposesPlanesAndShiftsLabels) {
  TempDir dir;
  test::write_bytes(dir.file("train_X.bin"), stl_images(2));
  test::write_bytes(dir.file("train_y.bin"), {10, 1});
  const ImageSet s = read_stl10(dir.file("train_X.bin"), dir.file("train_y.bin"));
  ASSERT_EQ(s.count, 2);
  EXPECT_EQ(s.channels, 3);
  EXPECT_EQ(s.height, 96);
  EXPECT_EQ(s.width, 96);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{9, 0}));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 96; ++y)
        for (int x = 0; x < 96; ++x) ASSERT_EQ(s.image(n)[(c * 96 + y) * 96 + x], pixel(n, c, y, x));
}

TEST(Stl10Reader, MissingFile) {
  TempDir dir;
  test::write_bytes(dir.file("test_X.bin"), stl_images(1));
  expect_data_error({"test_y.bin", "not found"}, [&] { read_stl10(dir.file("test_X.bin"), dir.file("test_y.bin")); });
}

TEST(Stl10Reader, TruncatedImages) {
  auto img = stl_images(2);
  img.resize(img.size() - 1);
  expect_data_error({"train_X.bin", "55295 bytes is not a positive multiple", "27648"}, [&] {
    parse_stl10(img, {1, 2}, "train_X.bin", "train_y.bin");
  });
  expect_data_error({"train_X.bin", "0 bytes"}, [&] { parse_stl10({}, {}, "train_X.bin", "train_y.bin"); });
}

TEST(Stl10Reader, CountMismatch) {
  expect_data_error({"train_y.bin", "count mismatch: 3 labels", "train_X.bin has 2 images"}, [&] {
    parse_stl10(stl_images(2), {1, 2, 3}, "train_X.bin", "train_y.bin");
  });
}

TEST(Stl10Reader, LabelsOutOfRange) {
  for (uint8_t bad : {uint8_t(0), uint8_t(11)}) {
    expect_data_error({"train_y.bin", "label " + std::to_string(bad) + " of sample 1", "[1, 10]"}, [&] {
      parse_stl10(stl_images(2), {1, bad}, "x", "train_y.bin");
    });
  }
}

}  // namespace
}  // namespace dcl::data
