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

namespace {

bool ends_in_dropout(torch::nn::Sequential& block) {
  if (block->size() == 0) return false;
  auto last = block->ptr(block->size() - 1);
  return last->as<torch::nn::Dropout>() || last->as<torch::nn::Dropout2d>();
}

}  // namespace

void BuildContext::add_block_stages_loss_before_dropout(
    Model& model, const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for) const {
  torch::nn::Sequential carried{nullptr};  // the block whose trailing dropout the next stage applies first
  auto stage_block_of = [&carried](torch::nn::Sequential block, bool strip) {
    const size_t end = strip && ends_in_dropout(block) ? block->size() - 1 : block->size();
    torch::nn::ModuleList modules;
    if (carried) modules->push_back(carried->ptr(carried->size() - 1));
    modules->push_back(block);
    StageBlock b{modules.ptr(), [from = carried, block, end](const torch::Tensor& x) mutable {
                   torch::Tensor h = from ? (from->begin() + (from->size() - 1))->forward(x) : x;
                   for (size_t i = 0; i < end; ++i) h = (block->begin() + i)->forward(h);
                   return h;
                 }};
    carried = end < block->size() ? block : torch::nn::Sequential{nullptr};
    return b;
  };
  for (size_t l = 0; l < net->blocks.size(); ++l)
    add_stage(model, "block" + std::to_string(l), StageKind::Block, stage_block_of(net->blocks[l], true), loss_for(l));
  add_stage(model, "head", StageKind::Head, stage_block_of(net->head, false), std::make_shared<CrossEntropyLoss>());
}

void BuildContext::add_stages_ending_in_classifier(
    Model& model, const std::function<std::shared_ptr<LocalLoss>(size_t)>& loss_for) const {
  const size_t last = net->blocks.size() - 1;
  for (size_t l = 0; l < last; ++l)
    add_stage(model, "block" + std::to_string(l), StageKind::Block, stage_block(net->blocks[l]), loss_for(l));
  torch::nn::ModuleList modules(net->blocks[last], net->head);
  StageBlock last_and_head{modules.ptr(),
                           [block = net->blocks[last], head = net->head](const torch::Tensor& x) mutable {
                             return head->forward(block->forward(x));
                           }};
  add_stage(model, "block" + std::to_string(last) + "+head", StageKind::Head, last_and_head,
            std::make_shared<CrossEntropyLoss>());
}

void BuildContext::run_sequentially(Model& model, InputEncoder encoder) const {
  model.schedule = std::make_unique<SequentialSchedule>(model.stages, std::move(encoder));
  model.readout = std::make_unique<ChainReadout>(model.stages);
}

SequentialSchedule& pipelined_schedule(Model& model, const std::string& method) {
  const std::string& refusal = method_info(method).abilities.not_pipelined;
  if (!refusal.empty())
    throw std::invalid_argument("--schedule pipeline: method '" + method + "' cannot run as a pipeline: " + refusal +
                                "; use a local method");
  auto* sequential = dynamic_cast<SequentialSchedule*>(model.schedule.get());
  if (!sequential) throw std::logic_error("method " + method + " declares a pipeline but has its own schedule");
  return *sequential;
}

PipelineSchedule& use_pipeline(Model& model, const std::string& method, PipelineOptions options) {
  SequentialSchedule& sequential = pipelined_schedule(model, method);
  auto pipeline = std::make_unique<PipelineSchedule>(sequential.stages(), sequential.encoder(), options);
  PipelineSchedule& ref = *pipeline;
  model.schedule = std::move(pipeline);
  return ref;
}

TrainingSchedule method_preset(const MethodInfo& method, Preset preset, const std::string& arch,
                               const data::DatasetInfo& d) {
  const ArchInfo& a = arch_info(arch);
  return method.preset ? method.preset(preset, a, d) : default_preset(preset, a, d);
}

}  // namespace dcl
