#pragma once
// Peak training memory, measured properly: on CPU the bytes held by LibTorch's CPU allocator
// (a counting wrapper installed once), on CUDA the caching allocator's own statistics.
#include <cstdint>
#include <string>

namespace dcl {

class MemoryTracker {
 public:
  // `device` as --device gives it ("cpu", "cuda", "cuda:N").
  explicit MemoryTracker(const std::string& device);
  // Starts a new peak window from the bytes held now.
  void reset_peak();
  int64_t current_bytes() const;
  int64_t peak_bytes() const;

 private:
  bool cuda_ = false;
  int cuda_index_ = 0;
};

}  // namespace dcl
