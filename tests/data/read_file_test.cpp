// read_file_bytes: raw and gzip files, and every way a file can be unusable.
#include <gtest/gtest.h>

#include "dcl/data/readers.h"
#include "test_files.h"

namespace dcl::data {
namespace {

using test::expect_data_error;
using test::TempDir;

std::vector<uint8_t> sample_bytes(size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t((i * 7 + i / 251) & 0xff);
  return b;
}

TEST(ReadFile, RawFileComesBackUnchanged) {
  TempDir dir;
  const auto data = sample_bytes(10000);
  test::write_bytes(dir.file("raw.bin"), data);
  EXPECT_EQ(read_file_bytes(dir.file("raw.bin")), data);
}

TEST(ReadFile, EmptyFileIsEmpty) {
  TempDir dir;
  test::write_bytes(dir.file("empty.bin"), {});
  EXPECT_TRUE(read_file_bytes(dir.file("empty.bin")).empty());
}

TEST(ReadFile, GzipIsDecompressed) {
  TempDir dir;
  const auto data = sample_bytes(300000);
  test::write_gzip(dir.file("data.gz"), data);
  EXPECT_EQ(read_file_bytes(dir.file("data.gz")), data);
}

TEST(ReadFile, ConcatenatedGzipMembersAreJoined) {
  TempDir dir;
  const auto a = sample_bytes(5000), b = sample_bytes(7000);
  test::write_gzip(dir.file("a.gz"), a);
  test::write_gzip(dir.file("b.gz"), b);
  std::vector<uint8_t> both;
  for (const char* n : {"a.gz", "b.gz"}) {
    std::ifstream in(dir.file(n), std::ios::binary);
    both.insert(both.end(), std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  test::write_bytes(dir.file("ab.gz"), both);
  std::vector<uint8_t> expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(read_file_bytes(dir.file("ab.gz")), expected);
}

TEST(ReadFile, MissingFileNamesThePath) {
  TempDir dir;
  expect_data_error({"nope.bin", "not found"}, [&] { read_file_bytes(dir.file("nope.bin")); });
}

TEST(ReadFile, DirectoryIsRejected) {
  TempDir dir;
  expect_data_error({dir.path(), "not a regular file"}, [&] { read_file_bytes(dir.path()); });
}

std::vector<uint8_t> gzip_bytes(const TempDir& dir, const std::vector<uint8_t>& data) {
  test::write_gzip(dir.file("tmp.gz"), data);
  std::ifstream in(dir.file("tmp.gz"), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ReadFile, TruncatedGzipIsAnError) {
  TempDir dir;
  auto gz = gzip_bytes(dir, sample_bytes(100000));
  for (size_t keep : {size_t(2), size_t(3), size_t(10), gz.size() / 2, gz.size() - 1}) {
    test::write_bytes(dir.file("cut.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + keep));
    expect_data_error({"cut.gz", "truncated"}, [&] { read_file_bytes(dir.file("cut.gz")); });
  }
}

TEST(ReadFile, CorruptGzipIsAnError) {
  TempDir dir;
  auto gz = gzip_bytes(dir, sample_bytes(100000));
  auto bad_crc = gz;
  bad_crc[gz.size() - 6] ^= 0xff;  // CRC-32 in the trailer
  test::write_bytes(dir.file("crc.gz"), bad_crc);
  expect_data_error({"crc.gz", "corrupt gzip"}, [&] { read_file_bytes(dir.file("crc.gz")); });

  auto bad_block = gz;
  bad_block[10] = 0xff;  // first deflate block header: reserved block type 3
  test::write_bytes(dir.file("block.gz"), bad_block);
  expect_data_error({"block.gz", "corrupt gzip"}, [&] { read_file_bytes(dir.file("block.gz")); });

  auto trailing = gz;
  trailing.insert(trailing.end(), {'j', 'u', 'n', 'k'});
  test::write_bytes(dir.file("trailing.gz"), trailing);
  expect_data_error({"trailing.gz", "after the compressed"}, [&] { read_file_bytes(dir.file("trailing.gz")); });
}

}  // namespace
}  // namespace dcl::data
