#include "dcl/stages/mixed_precision.h"

#include "dcl/util/torch_compat.h"

namespace dcl {

template <>
const std::vector<std::string>& names_of<Amp>() {
  static const std::vector<std::string> names = {"none", "bf16"};
  return names;
}

AutocastScope::AutocastScope(Amp amp, c10::DeviceType device) : device_(device) {
  if (amp == Amp::None) return;
  active_ = true;
  was_enabled_ = compat::autocast_enabled(device);
  compat::set_autocast(device, true, at::kBFloat16);
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  compat::set_autocast(device_, was_enabled_, at::kBFloat16);
  // The casts of the weights cached for this forward are dead once it has ended.
  if (!was_enabled_) at::autocast::clear_cache();
}

}  // namespace dcl
