// The list of methods. Each entry is a function defined in its method's own file.
#include <stdexcept>

#include "dcl/methods/method.h"

namespace dcl {

// clang-format off
#define DCL_METHODS(X) \
  X(bp) \
  X(dcl) \
  X(dcl_s) \
  X(ll_pred) \
  X(ll_sim) \
  X(ll_predsim) \
  X(ll_bpf) \
  X(ll_cont) \
  X(ll_contrec) \
  X(feat) \
  X(contrast) \
  X(cafo) \
  X(drtp) \
  X(ff) \
  X(symba) \
  X(pff)
// clang-format on

#define DCL_DECLARE(name) MethodInfo method_##name();
DCL_METHODS(DCL_DECLARE)
#undef DCL_DECLARE

const std::vector<MethodInfo>& methods() {
#define DCL_ENTRY(name) method_##name(),
  static const std::vector<MethodInfo> all = {DCL_METHODS(DCL_ENTRY)};
#undef DCL_ENTRY
  return all;
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& m : methods()) names.push_back(m.name);
  return names;
}

const MethodInfo& method_info(const std::string& name) {
  for (const auto& m : methods())
    if (m.name == name) return m;
  throw std::invalid_argument("unknown method '" + name + "' (valid: " + join_names(method_names()) + ")");
}

}  // namespace dcl
