#pragma once
// A tiny, easily learned dataset in Fashion-MNIST's own files (gzip IDX), written by the test:
// class k is noise plus a bright horizontal bar at rows 2k..2k+1.
#include <random>
#include <string>
#include <vector>

#include "data/test_files.h"

namespace tiny_dataset {

inline void write_split(const std::string& dir, const std::string& prefix, int count, unsigned seed) {
  using dcl::data::test::put_be32;
  std::mt19937 rng(seed);
  std::vector<uint8_t> images, labels;
  put_be32(images, 0x803);
  put_be32(images, uint32_t(count));
  put_be32(images, 28);
  put_be32(images, 28);
  put_be32(labels, 0x801);
  put_be32(labels, uint32_t(count));
  for (int i = 0; i < count; ++i) {
    int k = int(rng() % 10);
    labels.push_back(uint8_t(k));
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) images.push_back(uint8_t(r / 2 == k ? 200 + rng() % 56 : rng() % 60));
  }
  dcl::data::test::write_gzip(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
  dcl::data::test::write_gzip(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
}

// Writes 512 training and 128 test images into `dir` (use it as --data fmnist --data-dir dir).
inline void write(const std::string& dir, int train = 512, int test = 128) {
  write_split(dir, "train", train, 1);
  write_split(dir, "t10k", test, 2);
}

}  // namespace tiny_dataset
