// libFuzzer target: IDX image + label files, split from one input.
#include "dcl/data/readers.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> labels, images;
  dcl::fuzz::split(data, size, labels, images);
  try {
    const dcl::data::ImageSet s = dcl::data::parse_idx(images, labels, 10, "images", "labels");
    // A successful parse must be self-consistent.
    if (s.pixels.size() != size_t(s.count) * size_t(s.image_size()) || s.labels.size() != size_t(s.count)) abort();
    for (int32_t l : s.labels)
      if (l < 0 || l >= 10) abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
