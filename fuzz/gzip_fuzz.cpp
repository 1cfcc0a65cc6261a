// libFuzzer target: read_file_bytes, whose gzip path (multi-member streams, size guess from the
// trailer) is our own loop around zlib.
#include <cstring>

#include "dcl/data/readers.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dcl::fuzz::ScratchFile file(".gz", data, size);
  const std::string& path = file.path();
  try {
    const std::vector<uint8_t> out = dcl::data::read_file_bytes(path);
    // Non-gzip input must come back byte for byte.
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b && (size == 2 || data[2] == 8);
    if (!gzip && (out.size() != size || (size && std::memcmp(out.data(), data, size) != 0))) abort();
  } catch (const dcl::data::DataError&) {
  }
  return 0;
}
