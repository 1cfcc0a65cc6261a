#pragma once
// Image files for the folder-dataset tests, written with the same libraries that read them.
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/data/image_decode.h"
#include "dcl/data/image_encode.h"
#include "test_files.h"

namespace dcl::data::test {

// Points DCL_CACHE_DIR at a folder of its own for as long as it lives: tests never touch the
// user's cache, nor each other's.
struct ScopedCacheDir {
  TempDir dir;
  ScopedCacheDir() { ::setenv("DCL_CACHE_DIR", dir.path().c_str(), 1); }
  ~ScopedCacheDir() { ::unsetenv("DCL_CACHE_DIR"); }
};

// A height x width image of `channels` whose pixels are f(y, x, c).
template <class F>
DecodedImage make_image(int height, int width, int channels, F f) {
  DecodedImage img;
  img.height = height, img.width = width, img.channels = channels;
  img.pixels.resize(size_t(height) * width * channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) img.pixels[(size_t(y) * width + x) * channels + c] = uint8_t(f(y, x, c));
  return img;
}

// A flat image of one grey level (or colour), easy to recognise after lossy coding.
inline DecodedImage flat_image(int height, int width, int channels, int level) {
  return make_image(height, width, channels, [&](int, int, int c) { return (level + 40 * c) % 256; });
}

inline void write_jpeg(const std::string& path, const DecodedImage& img, int quality = 95) {
  write_bytes(path, encode_jpeg(img, quality));
}
inline void write_png(const std::string& path, const DecodedImage& img) { write_bytes(path, encode_png(img)); }

// ROOT/train/<class>/<i>.png and ROOT/val/<class>/<i>.png: class k's images are flat at level
// 40 + 60 k, `train` and `test` per class, side x side, `channels`.
inline void write_flat_tree(const std::string& root, const std::vector<std::string>& classes, int train, int test,
                            int side, int channels, const std::string& test_split = "val") {
  for (size_t k = 0; k < classes.size(); ++k) {
    for (int i = 0; i < train + test; ++i) {
      const std::string split = i < train ? "train" : test_split;
      const std::string file = root + "/" + split + "/" + classes[k] + "/" + std::to_string(i) + ".png";
      std::filesystem::create_directories(std::filesystem::path(file).parent_path());
      write_png(file, flat_image(side, side, channels, 40 + 60 * int(k) + i % 3));
    }
  }
}

}  // namespace dcl::data::test
