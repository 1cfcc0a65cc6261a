// IDX reader: exact values from raw and gzipped files, and rejection of damaged files.
#include <gtest/gtest.h>

#include "dcl/data/readers.h"
#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::put_be32;
using test::TempDir;

// Pixel values depend on sample, row and column differently, so a transposition shows.
uint8_t pixel(int n, int y, int x) { return uint8_t(n * 100 + y * 10 + x); }

std::vector<uint8_t> idx_images(int count, int rows, int cols) {
  std::vector<uint8_t> b;
  put_be32(b, 0x00000803);
  put_be32(b, uint32_t(count));
  put_be32(b, uint32_t(rows));
  put_be32(b, uint32_t(cols));
  for (int n = 0; n < count; ++n)
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x) b.push_back(pixel(n, y, x));
  return b;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b;
  put_be32(b, 0x00000801);
  put_be32(b, uint32_t(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

void expect_content(const ImageSet& s) {
  ASSERT_EQ(s.count, 2);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.height, 3);
  EXPECT_EQ(s.width, 4);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{7, 2}));
  for (int n = 0; n < 2; ++n)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) EXPECT_EQ(s.image(n)[y * 4 + x], pixel(n, y, x)) << n << y << x;
}

TEST(IdxReader, ReadsRawFiles) {
  TempDir dir;
  test::write_bytes(dir.file("img"), idx_images(2, 3, 4));
  test::write_bytes(dir.file("lbl"), idx_labels({7, 2}));
  expect_content(read_idx(dir.file("img"), dir.file("lbl"), 10));
}

TEST(IdxReader, ReadsGzipFiles) {
  TempDir dir;
  test::write_gzip(dir.file("img.gz"), idx_images(2, 3, 4));
  test::write_gzip(dir.file("lbl.gz"), idx_labels({7, 2}));
  expect_content(read_idx(dir.file("img.gz"), dir.file("lbl.gz"), 10));
}

TEST(IdxReader, AcceptsEitherTheGzOrThePlainName) {
  TempDir dir;
  test::write_bytes(dir.file("img"), idx_images(2, 3, 4));   // only the plain file exists
  test::write_gzip(dir.file("lbl.gz"), idx_labels({7, 2}));  // only the .gz exists
  expect_content(read_idx(dir.file("img.gz"), dir.file("lbl"), 10));
  EXPECT_EQ(resolve_idx_path(dir.file("img.gz")), dir.file("img"));
  EXPECT_EQ(resolve_idx_path(dir.file("lbl")), dir.file("lbl.gz"));
  EXPECT_EQ(resolve_idx_path(dir.file("none")), dir.file("none"));
}

TEST(IdxReader, MissingFile) {
  TempDir dir;
  test::write_bytes(dir.file("img"), idx_images(2, 3, 4));
  expect_data_error({"labels-idx1", "not found"}, [&] { read_idx(dir.file("img"), dir.file("labels-idx1"), 10); });
}

TEST(IdxReader, TruncatedImagesGiveExpectedAndFoundSizes) {
  auto img = idx_images(2, 3, 4);  // 16 + 24 bytes
  img.resize(30);
  expect_data_error({"train-images-idx3-ubyte.gz: its header describes 2 images of 3x4 (40 bytes), but the file has 30 "
                     "bytes",
                     "truncated or its header is wrong"},
                    [&] {
                      parse_idx(img, idx_labels({7, 2}), 10, "train-images-idx3-ubyte.gz", "l");
                    });
  expect_data_error({"tiny-images", "truncated"}, [&] {
    parse_idx({0, 0, 8, 3, 0}, idx_labels({7, 2}), 10, "tiny-images", "l");
  });
}

TEST(IdxReader, TrailingBytesAreAWrongSize) {
  auto img = idx_images(2, 3, 4);
  img.push_back(0);
  expect_data_error({"images.idx", "(40 bytes), but the file has 41 bytes"}, [&] {
    parse_idx(img, idx_labels({7, 2}), 10, "images.idx", "l");
  });
  auto lbl = idx_labels({7, 2});
  lbl.pop_back();
  expect_data_error({"labels.idx", "truncated: expected 10 bytes, found 9"},
                    [&] { parse_idx(idx_images(2, 3, 4), lbl, 10, "i", "labels.idx"); });
}

TEST(IdxReader, WrongMagic) {
  auto img = idx_images(2, 3, 4);
  img[3] = 0x01;  // a label file's magic where images belong
  expect_data_error({"images.idx", "wrong magic 0x00000801"}, [&] {
    parse_idx(img, idx_labels({7, 2}), 10, "images.idx", "l");
  });
  auto lbl = idx_labels({7, 2});
  lbl[2] = 0x0d;  // float data type
  expect_data_error({"labels.idx", "wrong magic"}, [&] { parse_idx(idx_images(2, 3, 4), lbl, 10, "i", "labels.idx"); });
}

TEST(IdxReader, CountMismatchNamesBothFiles) {
  expect_data_error({"lbls", "count mismatch", "3 labels", "imgs has 2 images"}, [&] {
    parse_idx(idx_images(2, 3, 4), idx_labels({7, 2, 1}), 10, "imgs", "lbls");
  });
}

TEST(IdxReader, LabelOutOfRange) {
  expect_data_error({"lbls", "label 10 of sample 1", "[0, 10)"}, [&] {
    parse_idx(idx_images(2, 3, 4), idx_labels({7, 10}), 10, "i", "lbls");
  });
  EXPECT_NO_THROW(parse_idx(idx_images(2, 3, 4), idx_labels({7, 10}), 11, "i", "l"));
}

TEST(IdxReader, BadDimensions) {
  expect_data_error({"empty", "no images"}, [&] { parse_idx(idx_images(0, 3, 4), idx_labels({}), 10, "empty", "l"); });
  expect_data_error({"flat", "bad image size 0x4"},
                    [&] { parse_idx(idx_images(1, 0, 4), idx_labels({1}), 10, "flat", "l"); });
  // Huge declared sizes must fail on size, not try to allocate.
  std::vector<uint8_t> huge;
  for (uint32_t v : {0x803u, 0xffffffffu, 0x8000u, 0x8000u}) put_be32(huge, v);
  expect_data_error({"huge", "truncated"}, [&] { parse_idx(huge, idx_labels({1}), 10, "huge", "l"); });
}

// A header that claims 32x32 over 28x28 data is named as a header that disagrees with its data,
// with the size the data would fit.
TEST(IdxReader, AHeaderThatDisagreesWithItsDataSaysWhatTheDataWouldFit) {
  auto img = idx_images(3, 28, 28);
  img[11] = 32;  // rows
  img[15] = 32;  // cols
  expect_data_error(
      {"imgs", "its header describes 3 images of 32x32", "the data would fit 3 images of 28x28", "its header is wrong"},
      [&] {
        parse_idx(img, idx_labels({1, 2, 3}), 10, "imgs", "l");
      });
}

TEST(IdxReader, CorruptGzipNamesTheFile) {
  TempDir dir;
  test::write_gzip(dir.file("img.gz"), idx_images(2, 3, 4));
  std::ifstream in(dir.file("img.gz"), std::ios::binary);
  std::vector<uint8_t> gz{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  gz.resize(gz.size() - 5);
  test::write_bytes(dir.file("img.gz"), gz);
  test::write_bytes(dir.file("lbl"), idx_labels({7, 2}));
  expect_data_error({"img.gz", "truncated gzip"}, [&] { read_idx(dir.file("img.gz"), dir.file("lbl"), 10); });
}

}  // namespace
}  // namespace dcl::data
