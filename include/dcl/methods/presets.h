#pragma once
// Presets: the settings a method is run with under `--preset quick|paper`. Each architecture
// brings the DCL paper's schedule for it (spec section 4; nn/arch.h); a method whose own source
// gives other settings brings its own rule (MethodInfo::preset) with its optimiser, schedule and
// method settings, each cited in the method's file.
#include <string>
#include <vector>

#include "dcl/data/registry.h"
#include "dcl/nn/arch.h"
#include "dcl/optim/training_schedule.h"
#include "dcl/util/enum_names.h"

namespace dcl {

enum class Preset { None, Quick, Paper };
template <>
const std::vector<std::string>& names_of<Preset>();  // none, quick, paper

// Spec section 4, the architecture's own rule: K-MNIST uses the MNIST values, SVHN the CIFAR-10
// values for fc and simple*, CIFAR-20 the CIFAR-100 values.
TrainingSchedule paper_schedule(const ArchInfo& arch, const data::DatasetInfo& data);
TrainingSchedule paper_schedule(const std::string& arch, const std::string& data);  // registry names

// The quick form of a paper preset: the same optimiser and method settings for a few epochs (5 for
// fc networks, 3 otherwise), the lr halved for the last one (step) or cooled down over the second
// half.
TrainingSchedule quick_form(TrainingSchedule paper, const ArchInfo& arch);

// `paper` itself, or its quick form; Preset::None is not a schedule (throws std::logic_error).
TrainingSchedule preset_form(Preset preset, const ArchInfo& arch, TrainingSchedule paper);

// The default rule: paper = paper_schedule, quick = its quick form.
TrainingSchedule default_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data);

}  // namespace dcl
