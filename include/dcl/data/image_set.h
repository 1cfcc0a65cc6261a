#pragma once
// The in-memory form every dataset reader produces: uint8 images and integer labels.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcl::data {

// A dataset file was missing, truncated or corrupt; the message names the file and the problem.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Images stored planar (C, H, W) per sample, samples back to back: in `pixels`, in a read-only
// mapping of a cache file (`mapped`), or not stored at all (`files`: decoded whenever used).
struct ImageSet {
  int64_t count = 0;
  int channels = 0;
  int height = 0;
  int width = 0;
  std::vector<uint8_t> pixels;                            // count * channels * height * width
  std::vector<int32_t> labels;                            // count, each in [0, classes)
  std::shared_ptr<const uint8_t> mapped;                  // instead of pixels, when set
  std::shared_ptr<const std::vector<std::string>> files;  // streamed: one image file per sample

  bool streamed() const { return files != nullptr; }
  int64_t image_size() const { return int64_t(channels) * height * width; }
  const uint8_t* image(int64_t i) const { return (mapped ? mapped.get() : pixels.data()) + i * image_size(); }
};

}  // namespace dcl::data
