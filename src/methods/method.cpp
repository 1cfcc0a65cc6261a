#include "dcl/methods/method.h"

#include "dcl/methods/paper_schedule.h"
#include "dcl/training/run_config.h"

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

Model build_model(const RunConfig& cfg, const InputShape& input, int classes, int default_fc_patches) {
  const MethodInfo& method = method_info(cfg.method);
  NetworkOptions n;
  n.arch = cfg.arch;
  n.input = input;
  n.classes = classes;
  n.dropout = cfg.dropout;
  n.fc_width = cfg.fc_width;
  n.fc_patches = cfg.fc_patches > 0 ? cfg.fc_patches : default_fc_patches;
  Model m;
  m.net = Network(n);
  BuildContext ctx{m.net, classes, cfg.methods, optimizer_factory(cfg.optimizer)};
  method.build(m, ctx);
  return m;
}

void apply_preset(RunConfig& cfg, const std::vector<std::string>& given) {
  if (cfg.preset == Preset::None) return;
  const MethodInfo& method = method_info(cfg.method);
  if (method.preset)
    method.preset(cfg, given);
  else
    apply_paper_preset(cfg, given);
}

}  // namespace dcl
