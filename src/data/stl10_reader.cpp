// STL-10 binary reader. The files come from MATLAB, so each 96x96 plane is stored column-major
// (x-major); ImageSet wants row-major planes, so every plane is transposed.
#include "dcl/data/readers.h"
#include "parse_util.h"

namespace dcl::data {
namespace {

using detail::fail;

constexpr int kSide = 96;
constexpr size_t kPlane = size_t(kSide) * kSide;
constexpr size_t kImage = 3 * kPlane;

}  // namespace

ImageSet parse_stl10(const std::vector<uint8_t>& image_bytes, const std::vector<uint8_t>& label_bytes,
                     const std::string& images_name, const std::string& labels_name) {
  if (image_bytes.empty() || image_bytes.size() % kImage != 0) {
    fail(images_name, "wrong size: " + std::to_string(image_bytes.size()) +
                          " bytes is not a positive multiple of one 3x96x96 image (" + std::to_string(kImage) +
                          " bytes)");
  }
  const size_t n = image_bytes.size() / kImage;
  if (label_bytes.size() != n) {
    fail(labels_name, "count mismatch: " + std::to_string(label_bytes.size()) + " labels, but " + images_name +
                          " has " + std::to_string(n) + " images");
  }
  ImageSet set;
  uint8_t* dst = detail::grow(set, int64_t(n), 3, kSide, kSide);
  for (size_t i = 0; i < n; ++i) {
    const int label = label_bytes[i];
    if (label < 1 || label > 10) {
      fail(labels_name, "label " + std::to_string(label) + " of sample " + std::to_string(i) + " (offset " +
                            std::to_string(i) + ") is out of range [1, 10]");
    }
    set.labels[i] = label - 1;
  }
  // Source plane element (y, x) sits at x * 96 + y.
  for (size_t plane = 0; plane < 3 * n; ++plane) {
    const uint8_t* s = image_bytes.data() + plane * kPlane;
    uint8_t* d = dst + plane * kPlane;
    for (int x = 0; x < kSide; ++x)
      for (int y = 0; y < kSide; ++y) d[y * kSide + x] = s[x * kSide + y];
  }
  return set;
}

ImageSet read_stl10(const std::string& images_path, const std::string& labels_path) {
  return parse_stl10(read_file_bytes(images_path), read_file_bytes(labels_path), images_path, labels_path);
}

}  // namespace dcl::data
