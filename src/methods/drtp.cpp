// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5: each hidden
// block's loss is the linear surrogate whose gradient is the fixed random projection of the
// target (losses/drtp_loss.h); no error crosses a block. The head learns from its own error:
// cross-entropy on its detached input.
#include "dcl/losses/drtp_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

// --preset paper: the defaults of the authors' main.py (ChFrenkel/DirectRandomTargetProjection),
// their MNIST setting: NAG (SGD with Nesterov momentum 0.9), lr 1e-4, batch 100, 100 epochs, no
// weight decay, no lr decay, tanh hidden layers. Colour data: their CIFAR-10 example in main.py's
// header, lr 5e-4, 200 epochs, dropout 0.05. On the conv networks, whose blocks are conv + BN +
// ReLU for every method, Adam instead of NAG: a ReLU block has no saturation to bound the activity
// the projected target keeps pushing, and SGD on the summed projection reached NaN in the first
// epoch there (Fashion-MNIST, momentum 0.9, lr 1e-4); Adam's steps are bounded.
TrainingSchedule drtp_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = paper_schedule(arch, data);
  const bool fc = arch.family == ArchFamily::Fc;
  s.optimizer = fc ? OptimizerKind::Sgd : OptimizerKind::Adam;
  s.momentum = 0.9;
  s.nesterov = fc;
  s.activation = fc ? "tanh" : "relu";
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
      "ChFrenkel/DirectRandomTargetProjection main.py defaults (NAG, lr 1e-4, batch 100, 100 epochs, tanh; colour "
      "data: lr 5e-4, 200 epochs, dropout 0.05); conv networks: Adam, ReLU";
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
