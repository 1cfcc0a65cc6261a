// CIFAR-10 / CIFAR-100 binary readers: fixed-size records of label byte(s) + 3x32x32 planar pixels,
// already in the CHW layout ImageSet uses.
#include <cstring>

#include "dcl/data/readers.h"
#include "parse_util.h"

namespace dcl::data {
namespace {

using detail::fail;

constexpr size_t kPixels = 3 * 32 * 32;

// Both formats: `label_bytes` leading bytes per record, each with its own class count; the one at
// `keep` becomes the label. Every label byte is checked, so a damaged file never passes silently.
void append_records(const std::vector<uint8_t>& bytes, const std::string& name, size_t label_bytes, const int* classes,
                    const char* const* label_names, size_t keep, ImageSet& out) {
  const size_t record = label_bytes + kPixels;
  if (bytes.empty() || bytes.size() % record != 0) {
    fail(name, "wrong size: " + std::to_string(bytes.size()) + " bytes is not a positive multiple of the " +
                   std::to_string(record) + "-byte record");
  }
  const int64_t n = int64_t(bytes.size() / record);
  const int64_t first = out.count;
  uint8_t* pixels = detail::grow(out, n, 3, 32, 32);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = bytes.data() + size_t(i) * record;
    for (size_t k = 0; k < label_bytes; ++k) {
      if (r[k] >= classes[k]) {
        fail(name, std::string(label_names[k]) + " label " + std::to_string(r[k]) + " of record " + std::to_string(i) +
                       " (offset " + std::to_string(size_t(i) * record + k) + ") is out of range [0, " +
                       std::to_string(classes[k]) + ")");
      }
    }
    out.labels[size_t(first + i)] = r[keep];
    std::memcpy(pixels + size_t(i) * kPixels, r + label_bytes, kPixels);
  }
}

void append_cifar10(const std::vector<uint8_t>& bytes, const std::string& name, ImageSet& out) {
  static const int classes[] = {10};
  static const char* const names[] = {"class"};
  append_records(bytes, name, 1, classes, names, 0, out);
}

}  // namespace

ImageSet parse_cifar10(const std::vector<uint8_t>& bytes, const std::string& name) {
  ImageSet set;
  append_cifar10(bytes, name, set);
  return set;
}

ImageSet read_cifar10(const std::vector<std::string>& files) {
  if (files.empty()) throw DataError("read_cifar10: no files given");
  ImageSet set;
  for (const std::string& f : files) append_cifar10(read_file_bytes(f), f, set);
  return set;
}

ImageSet parse_cifar100(const std::vector<uint8_t>& bytes, Cifar100Label which, const std::string& name) {
  static const int classes[] = {20, 100};  // coarse byte first, then fine
  static const char* const names[] = {"coarse", "fine"};
  ImageSet set;
  append_records(bytes, name, 2, classes, names, which == Cifar100Label::Coarse ? 0 : 1, set);
  return set;
}

ImageSet read_cifar100(const std::string& file, Cifar100Label which) {
  return parse_cifar100(read_file_bytes(file), which, file);
}

}  // namespace dcl::data
