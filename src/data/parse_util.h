#pragma once
// Small helpers shared by the dataset readers (internal, not installed).
#include <cstdint>
#include <string>

#include "dcl/data/image_set.h"

namespace dcl::data::detail {

// Every reader error reads "FILE: what was wrong", so the user knows which file to replace.
[[noreturn]] inline void fail(const std::string& file, const std::string& what) { throw DataError(file + ": " + what); }

// IDX headers are big-endian regardless of the machine.
inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// "truncated: expected N bytes, found M" or "wrong size: ..." when there is extra data.
[[noreturn]] inline void fail_size(const std::string& file, uint64_t expected, uint64_t found) {
  fail(file, std::string(found < expected ? "truncated" : "wrong size") + ": expected " + std::to_string(expected) +
                 " bytes, found " + std::to_string(found));
}

// Appends `count` images of shape (channels, height, width) to `set`, fixing its shape on the
// first call; returns a pointer to the first new image.
inline uint8_t* grow(ImageSet& set, int64_t count, int channels, int height, int width) {
  if (set.count == 0) {
    set.channels = channels;
    set.height = height;
    set.width = width;
  }
  const size_t old_pixels = set.pixels.size();
  set.pixels.resize(old_pixels + size_t(count) * size_t(set.image_size()));
  set.labels.resize(size_t(set.count + count));
  set.count += count;
  return set.pixels.data() + old_pixels;
}

}  // namespace dcl::data::detail
