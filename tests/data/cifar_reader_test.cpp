// CIFAR-10 / CIFAR-100 binary readers.
#include <gtest/gtest.h>

#include "dcl/data/readers.h"
#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::TempDir;

uint8_t pixel(int n, int c, int y, int x) { return uint8_t(n * 37 + c * 80 + y * 3 + x * 5); }

// Records of `labels` (one vector of leading bytes per record) followed by R, G, B planes.
std::vector<uint8_t> records(const std::vector<std::vector<uint8_t>>& labels, int first_sample = 0) {
  std::vector<uint8_t> b;
  for (size_t n = 0; n < labels.size(); ++n) {
    b.insert(b.end(), labels[n].begin(), labels[n].end());
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) b.push_back(pixel(first_sample + int(n), c, y, x));
  }
  return b;
}

void expect_pixels(const ImageSet& s) {
  ASSERT_EQ(s.channels, 3);
  ASSERT_EQ(s.height, 32);
  ASSERT_EQ(s.width, 32);
  ASSERT_EQ(s.pixels.size(), size_t(s.count) * 3072);
  for (int n = 0; n < s.count; ++n)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) ASSERT_EQ(s.image(n)[(c * 32 + y) * 32 + x], pixel(n, c, y, x));
}

TEST(Cifar10Reader, ReadsRecordsAcrossFilesInOrder) {
  TempDir dir;
  test::write_bytes(dir.file("data_batch_1.bin"), records({{3}, {9}}));
  test::write_bytes(dir.file("data_batch_2.bin"), records({{0}}, 2));
  const ImageSet s = read_cifar10({dir.file("data_batch_1.bin"), dir.file("data_batch_2.bin")});
  ASSERT_EQ(s.count, 3);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{3, 9, 0}));
  expect_pixels(s);
}

TEST(Cifar10Reader, MissingFile) {
  TempDir dir;
  test::write_bytes(dir.file("data_batch_1.bin"), records({{3}}));
  expect_data_error({"data_batch_2.bin", "not found"}, [&] {
    read_cifar10({dir.file("data_batch_1.bin"), dir.file("data_batch_2.bin")});
  });
}

TEST(Cifar10Reader, SizeMustBeAPositiveMultipleOfTheRecord) {
  auto b = records({{1}, {2}});
  b.pop_back();
  expect_data_error({"test_batch.bin", "6145 bytes is not a positive multiple of the 3073-byte record"},
                    [&] { parse_cifar10(b, "test_batch.bin"); });
  expect_data_error({"empty.bin", "0 bytes"}, [&] { parse_cifar10({}, "empty.bin"); });
}

TEST(Cifar10Reader, LabelOutOfRange) {
  expect_data_error({"b.bin", "label 10 of record 1 (offset 3073)", "[0, 10)"}, [&] {
    parse_cifar10(records({{1}, {10}}), "b.bin");
  });
}

TEST(Cifar10Reader, GzippedBatchIsReadToo) {
  TempDir dir;
  test::write_gzip(dir.file("b.bin.gz"), records({{4}}));
  EXPECT_EQ(read_cifar10({dir.file("b.bin.gz")}).labels, std::vector<int32_t>{4});
}

TEST(Cifar100Reader, FineAndCoarseLabels) {
  TempDir dir;
  // Coarse byte first, then fine: (coarse 4, fine 0 apple), (coarse 19, fine 99 worm).
  test::write_bytes(dir.file("train.bin"), records({{4, 0}, {19, 99}}));
  const ImageSet fine = read_cifar100(dir.file("train.bin"), Cifar100Label::Fine);
  EXPECT_EQ(fine.labels, (std::vector<int32_t>{0, 99}));
  expect_pixels(fine);
  const ImageSet coarse = read_cifar100(dir.file("train.bin"), Cifar100Label::Coarse);
  EXPECT_EQ(coarse.labels, (std::vector<int32_t>{4, 19}));
  EXPECT_EQ(coarse.pixels, fine.pixels);
}

TEST(Cifar100Reader, RecordSizeIs3074) {
  // A CIFAR-10 file is not a CIFAR-100 file, even when it has 3074 records.
  expect_data_error({"train.bin", "3074-byte record"},
                    [&] { parse_cifar100(records({{1}}), Cifar100Label::Fine, "train.bin"); });
}

TEST(Cifar100Reader, BothLabelBytesAreChecked) {
  const auto bad_coarse = records({{1, 2}, {20, 5}});
  const auto bad_fine = records({{1, 100}});
  for (auto which : {Cifar100Label::Fine, Cifar100Label::Coarse}) {
    expect_data_error({"test.bin", "coarse label 20 of record 1 (offset 3074)", "[0, 20)"},
                      [&] { parse_cifar100(bad_coarse, which, "test.bin"); });
    expect_data_error({"test.bin", "fine label 100 of record 0 (offset 1)", "[0, 100)"},
                      [&] { parse_cifar100(bad_fine, which, "test.bin"); });
  }
}

TEST(Cifar100Reader, MissingFile) {
  TempDir dir;
  expect_data_error({"cifar-100-binary/test.bin", "not found"},
                    [&] { read_cifar100(dir.file("cifar-100-binary/test.bin"), Cifar100Label::Fine); });
}

}  // namespace
}  // namespace dcl::data
