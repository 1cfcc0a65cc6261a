#include "dcl/methods/method.h"

namespace dcl {

std::shared_ptr<Stage> BuildContext::add_stage(Model& model, const std::string& name, StageKind kind, StageBlock block,
                                               std::shared_ptr<LocalLoss> loss, bool frozen,
                                               const std::vector<std::string>& shared) const {
  auto stage = std::make_shared<Stage>(name, kind, std::move(block), std::move(loss), frozen);
  for (const auto& s : shared) {
    bool found = false;
    for (auto& [key, module] : model.shared)
      if (key == s) {
        stage->add_shared(s, module->parameters());
        found = true;
      }
    if (!found) throw std::logic_error("stage " + name + ": no shared state '" + s + "'");
  }
  stage->set_optimizer(optimizer(stage->parameters()));
  model.stages.push_back(stage);
  return stage;
}

void BuildContext::add_block_stages(Model& model, const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for,
                                    bool with_head, const std::vector<std::string>& shared) const {
  for (size_t l = 0; l < net->blocks.size(); ++l)
    add_stage(model, "block" + std::to_string(l), StageKind::Block, stage_block(net->blocks[l]), loss_for(l), false,
              shared);
  if (with_head)
    add_stage(model, "head", StageKind::Head, stage_block(net->head), std::make_shared<CrossEntropyLoss>());
}

void BuildContext::run_sequentially(Model& model, InputEncoder encoder) const {
  model.schedule = std::make_unique<SequentialSchedule>(model.stages, std::move(encoder));
  model.readout = std::make_unique<ChainReadout>(model.stages);
}

TrainingSchedule method_preset(const MethodInfo& method, Preset preset, Arch arch, const std::string& data) {
  return method.preset ? method.preset(preset, arch, data) : default_preset(preset, arch, data);
}

}  // namespace dcl
