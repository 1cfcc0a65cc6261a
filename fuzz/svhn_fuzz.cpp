// libFuzzer target: SVHN .mat file. read_svhn takes a path (matio reads files), so the input is
// written to a scratch file first.
#include "dcl/data/readers.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dcl::fuzz::ScratchFile file(".mat", data, size);
  const std::string& path = file.path();
  try {
    const dcl::data::ImageSet s = dcl::data::read_svhn(path);
    if (s.pixels.size() != size_t(s.count) * 3072 || s.labels.size() != size_t(s.count)) abort();
    for (int32_t l : s.labels)
      if (l < 0 || l >= 10) abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
