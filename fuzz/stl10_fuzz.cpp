// libFuzzer target: STL-10 image + label files, split from one input.
#include "dcl/data/readers.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> labels, images;
  dcl::fuzz::split(data, size, labels, images);
  try {
    const dcl::data::ImageSet s = dcl::data::parse_stl10(images, labels, "train_X.bin", "train_y.bin");
    if (s.pixels.size() != images.size() || s.labels.size() != labels.size()) abort();
    for (int32_t l : s.labels)
      if (l < 0 || l >= 10) abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
