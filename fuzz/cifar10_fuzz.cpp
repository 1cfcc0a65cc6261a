// libFuzzer target: CIFAR-10 binary batch.
#include "dcl/data/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dcl::data::ImageSet s = dcl::data::parse_cifar10(std::vector<uint8_t>(data, data + size), "batch");
    if (s.count * 3073 != int64_t(size) || s.pixels.size() != size_t(s.count) * 3072) abort();
    for (int32_t l : s.labels)
      if (l < 0 || l >= 10) abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
