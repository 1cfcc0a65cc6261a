#pragma once
// Shared bits of the fuzz harnesses.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace dcl::fuzz {

// Splits one fuzz input into two byte strings: the first two bytes give the length of the first
// part (clamped to what is there), the rest is the second part.
inline void split(const uint8_t* data, size_t size, std::vector<uint8_t>& first, std::vector<uint8_t>& second) {
  if (size < 2) {
    first.clear();
    second.assign(data, data + size);
    return;
  }
  const size_t want = size_t(data[0]) | size_t(data[1]) << 8;
  const size_t n = want < size - 2 ? want : size - 2;
  first.assign(data + 2, data + 2 + n);
  second.assign(data + 2 + n, data + size);
}

// For readers that take a path: the input as a scratch file for the duration of one call.
// (libFuzzer leaves with _Exit, so an atexit cleanup would never run.)
class ScratchFile {
 public:
  ScratchFile(const char* suffix, const uint8_t* data, size_t size)
      : path_("/tmp/dcl_fuzz_" + std::to_string(getpid()) + suffix) {
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace dcl::fuzz
