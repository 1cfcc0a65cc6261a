// IDX reader (MNIST, K-MNIST, Fashion-MNIST): big-endian header, then raw uint8 data.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dcl/data/readers.h"
#include "parse_util.h"

namespace dcl::data {
namespace {

using detail::fail;
using detail::fail_size;
using detail::read_be32;

constexpr uint32_t kImagesMagic = 0x00000803;  // ubyte data, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // ubyte data, 1 dimension
constexpr uint32_t kMaxSide = 1 << 15;         // keeps count * rows * cols inside 64 bits

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t check_header(const std::vector<uint8_t>& b, size_t header, uint32_t magic, const char* kind,
                      const std::string& name) {
  if (b.size() < header) {
    fail(name, "truncated: an IDX " + std::string(kind) + " header needs " + std::to_string(header) + " bytes, found " +
                   std::to_string(b.size()));
  }
  const uint32_t found = read_be32(b.data());
  if (found != magic) {
    fail(name, "wrong magic " + hex32(found) + ", expected " + hex32(magic) + " (IDX " + kind + " file)");
  }
  return read_be32(b.data() + 4);
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

ImageSet parse_idx(const std::vector<uint8_t>& image_bytes, const std::vector<uint8_t>& label_bytes, int num_classes,
                   const std::string& images_name, const std::string& labels_name) {
  const uint32_t count = check_header(image_bytes, 16, kImagesMagic, "idx3-ubyte image", images_name);
  const uint32_t rows = read_be32(image_bytes.data() + 8);
  const uint32_t cols = read_be32(image_bytes.data() + 12);
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    fail(images_name, "bad image size " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  if (count == 0) fail(images_name, "contains no images");
  const uint64_t image_size = uint64_t(rows) * cols;
  const uint64_t expected_images = 16 + uint64_t(count) * image_size;
  if (image_bytes.size() != expected_images) {
    // The header and the data disagree: say which sizes each side implies, rather than calling a
    // file with a wrong header truncated.
    const uint64_t data = image_bytes.size() - 16;
    std::string fits;
    if (data % count == 0) {
      const uint64_t per_image = data / count;
      const uint64_t side = uint64_t(std::llround(std::sqrt(double(per_image))));
      fits = side * side == per_image ? " (the data would fit " + std::to_string(count) + " images of " +
                                            std::to_string(side) + "x" + std::to_string(side) + ")"
                                      : " (" + std::to_string(per_image) + " bytes per image)";
    }
    fail(images_name, "its header describes " + std::to_string(count) + " images of " + std::to_string(rows) + "x" +
                          std::to_string(cols) + " (" + std::to_string(expected_images) + " bytes), but the file has " +
                          std::to_string(image_bytes.size()) + " bytes" + fits +
                          ": the file is truncated or its header is wrong");
  }

  const uint32_t label_count = check_header(label_bytes, 8, kLabelsMagic, "idx1-ubyte label", labels_name);
  if (label_count != count) {
    fail(labels_name, "count mismatch: " + std::to_string(label_count) + " labels, but " + images_name + " has " +
                          std::to_string(count) + " images");
  }
  const uint64_t expected_labels = 8 + uint64_t(count);
  if (label_bytes.size() != expected_labels) fail_size(labels_name, expected_labels, label_bytes.size());

  ImageSet set;
  detail::grow(set, count, 1, int(rows), int(cols));
  for (uint32_t i = 0; i < count; ++i) {
    const int label = label_bytes[8 + i];
    if (label >= num_classes) {
      fail(labels_name, "label " + std::to_string(label) + " of sample " + std::to_string(i) + " (offset " +
                            std::to_string(8 + i) + ") is out of range [0, " + std::to_string(num_classes) + ")");
    }
    set.labels[i] = label;
  }
  std::copy(image_bytes.begin() + 16, image_bytes.end(), set.pixels.begin());
  return set;
}

std::string resolve_idx_path(const std::string& path) {
  if (is_file(path)) return path;
  const std::string gz = ".gz";
  const bool zipped = path.size() > gz.size() && path.compare(path.size() - gz.size(), gz.size(), gz) == 0;
  const std::string other = zipped ? path.substr(0, path.size() - gz.size()) : path + gz;
  return is_file(other) ? other : path;
}

ImageSet read_idx(const std::string& images_path, const std::string& labels_path, int num_classes) {
  const std::string images = resolve_idx_path(images_path);
  const std::string labels = resolve_idx_path(labels_path);
  return parse_idx(read_file_bytes(images), read_file_bytes(labels), num_classes, images, labels);
}

}  // namespace dcl::data
