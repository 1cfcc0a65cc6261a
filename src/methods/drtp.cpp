// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5: each hidden
// block's loss is the linear surrogate whose gradient is the fixed random projection of the
// target (losses/drtp_loss.h); no error crosses a block. The head learns from its own error:
// cross-entropy on its detached input.
#include "dcl/losses/drtp_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

// --preset paper: the defaults of the authors' main.py (ChFrenkel/DirectRandomTargetProjection),
// their MNIST setting: lr 1e-4, batch 100, 100 epochs, no weight decay, no lr decay. Colour data:
// their CIFAR-10 example in main.py's header, lr 5e-4, 200 epochs, dropout 0.05. The optimiser is
// Adam, not their Nesterov SGD: they train tanh networks, whose saturation bounds the activity the
// projected target keeps pushing; the spec's networks (shared by every method) are ReLU, where
// that push has no end, and SGD on the summed projection reached NaN in the first epoch
// (Fashion-MNIST fc, momentum 0.9, lr 1e-4). Adam's steps are bounded.
TrainingSchedule drtp_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = paper_schedule(arch, data);
  s.optimizer = OptimizerKind::Adam;
  s.weight_decay = 0;
  s.batch = 100;
  s.milestones = {};
  if (data::mnist_like(data.preset_class)) {
    s.lr = 1e-4;
    s.epochs = 100;
    s.dropout = 0;
  } else {
    s.lr = 5e-4;
    s.epochs = 200;
    s.dropout = 0.05;
  }
  s.settings = {{"drtp_feedback_scale", 1.0}};
  s.source =
      "ChFrenkel/DirectRandomTargetProjection main.py defaults (lr 1e-4, batch 100, 100 epochs; colour data: "
      "lr 5e-4, 200 epochs, dropout 0.05), with Adam for their Nesterov SGD (ReLU blocks)";
  return preset_form(preset, arch, s);
}

}  // namespace

MethodInfo method_drtp() {
  return {"drtp",
          "Direct Random Target Projection: fixed random projection of the target as each block's gradient",
          {Setting::real("drtp_feedback_scale", 1.0,
                         "feedback matrices B ~ U[-s sqrt(6/S), s sqrt(6/S)], S = the block's outputs per sample (the "
                         "authors' kaiming_uniform_)")
               .positive()},
          [](Model& m, const BuildContext& ctx) {
            auto sizes = m.net->block_output_sizes();
            double scale = ctx.settings.real("drtp_feedback_scale");
            ctx.add_block_stages(m, [&](size_t l) { return std::make_shared<DrtpLoss>(ctx.classes, sizes[l], scale); });
            ctx.run_sequentially(m);
          },
          drtp_preset};
}

}  // namespace dcl
