#pragma once
// Mixed precision (--amp bf16): a stage's block runs under autocast in bfloat16, its loss in float32
// (the block's output is cast back before the loss), as torch.autocast does in Python. bfloat16
// keeps float32's exponent range, so no loss scaling is needed. Autocast state is thread-local:
// each stage sets it around its own forward, whichever thread runs it.
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dcl {

enum class Amp { None, Bf16 };

template <typename E>
const std::vector<std::string>& names_of();
template <>
const std::vector<std::string>& names_of<Amp>();  // none, bf16

// Autocast on `device`'s type while alive (nothing when amp is None); restores the previous state.
class AutocastScope {
 public:
  AutocastScope(Amp amp, c10::DeviceType device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  c10::DeviceType device_;
};

}  // namespace dcl
