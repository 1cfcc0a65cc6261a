// The list of architectures. Each entry is a function defined in its family's own file.
#include <stdexcept>

#include "dcl/nn/arch.h"
#include "dcl/util/enum_names.h"

namespace dcl {

// One line per family: `std::vector<ArchInfo> <family>_architectures()` in src/nn/archs/<family>.cpp.
// clang-format off
#define DCL_ARCH_FAMILIES(X) \
  X(fc) \
  X(simple) \
  X(vgg) \
  X(resnet)
// clang-format on

#define DCL_DECLARE(family) std::vector<ArchInfo> family##_architectures();
DCL_ARCH_FAMILIES(DCL_DECLARE)
#undef DCL_DECLARE

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> all = [] {
    std::vector<ArchInfo> out;
#define DCL_APPEND(family) \
  for (ArchInfo & a : family##_architectures()) out.push_back(std::move(a));
    DCL_ARCH_FAMILIES(DCL_APPEND)
#undef DCL_APPEND
    return out;
  }();
  return all;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const auto& a : architectures()) names.push_back(a.name);
  return names;
}

const ArchInfo& arch_info(const std::string& name) {
  for (const auto& a : architectures())
    if (a.name == name) return a;
  throw std::invalid_argument("unknown --arch '" + name + "' (valid: " + join_names(arch_names()) + ")");
}

const char* const kDclPaperScheduleSource = "DCL paper's schedule (spec section 4; schoi828/DCL option.py pre_config)";

TrainingSchedule dcl_paper_schedule(double lr, int batch, double gamma, int epochs, std::vector<int> milestones,
                                    double dropout) {
  TrainingSchedule s;
  s.lr = lr;
  s.batch = batch;
  s.gamma = gamma;
  s.epochs = epochs;
  s.milestones = std::move(milestones);
  s.dropout = dropout;
  s.source = kDclPaperScheduleSource;
  return s;
}

}  // namespace dcl
