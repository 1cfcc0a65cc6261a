#include "dcl/methods/presets.h"

#include <cmath>
#include <stdexcept>

namespace dcl {

template <>
const std::vector<std::string>& names_of<Preset>() {
  static const std::vector<std::string> names = {"none", "quick", "paper"};
  return names;
}

TrainingSchedule paper_schedule(const ArchInfo& arch, const data::DatasetInfo& data) {
  return arch.paper_schedule(data);
}

TrainingSchedule paper_schedule(const std::string& arch, const std::string& data) {
  return paper_schedule(arch_info(arch), data::dataset_info(data));
}

TrainingSchedule quick_form(TrainingSchedule s, const ArchInfo& arch) {
  s.epochs = arch.family == ArchFamily::Fc ? 5 : 3;
  s.milestones = {s.epochs - 1};
  s.gamma = 0.5;
  s.source = "quick form of: " + s.source;
  return s;
}

TrainingSchedule preset_form(Preset preset, const ArchInfo& arch, TrainingSchedule paper) {
  if (preset == Preset::None) throw std::logic_error("preset none has no schedule");
  return preset == Preset::Quick ? quick_form(std::move(paper), arch) : paper;
}

TrainingSchedule default_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  return preset_form(preset, arch, paper_schedule(arch, data));
}

}  // namespace dcl
