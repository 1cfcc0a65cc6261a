// Nøkland & Eidnes' local error signals (spec section 5): ll-pred, ll-sim, ll-predsim, ll-bpf.
// Each block gets its own LocalErrorLoss (losses/local_error_loss.h); the head learns on the
// detached last block output.
#include <map>

#include "dcl/losses/local_error_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

// --preset paper: the authors' runs (anokland/local-loss run_experiments.sh, train.py): Adam, no
// weight decay, batch 128, lr x 0.25 at four milestones; MNIST and K-MNIST 100 epochs, F-MNIST 200,
// colour data 400 (SVHN 100), lr 5e-4 (SVHN 3e-4); dropout per dataset for vgg8b and for their
// mlp (our fc); none for simple*, which they do not run. ll-bpf: β = 0.01, their "bio" predsim
// runs. LeakyReLU (0.01) wherever a sim loss is used (their sim, predsim and bio runs pass --nonlin
// leakyrelu; pred runs keep ReLU), on every network but the ResNets (ReLU units).
TrainingSchedule local_error_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data, bool sim,
                                    bool bpf) {
  TrainingSchedule s = paper_schedule(arch_info("vgg8b"), data);  // the DCL paper took these from LL
  s.optimizer = OptimizerKind::Adam;
  s.weight_decay = 0;
  s.batch = 128;
  s.gamma = 0.25;
  static const std::map<std::string, std::pair<double, double>> dropout = {
      // data: {vgg8b, mlp}
      // (the authors' published values, by the datasets they ran; any other dataset: none)
      {"mnist", {0.2, 0.1}},   {"fmnist", {0.1, 0.025}}, {"kmnist", {0.3, 0.2}}, {"cifar10", {0.2, 0}},
      {"cifar100", {0.05, 0}}, {"cifar20", {0.05, 0}},   {"svhn", {0.3, 0}},     {"stl10", {0.1, 0}}};
  auto it = dropout.find(data.name);
  double vgg = it == dropout.end() ? 0 : it->second.first, mlp = it == dropout.end() ? 0 : it->second.second;
  s.dropout = arch.family == ArchFamily::Fc ? mlp : arch.name == "vgg8b" ? vgg : 0;
  if (bpf) s.settings = {{"ll_beta", 0.01}};
  if (sim && arch.max_local_modules == 0) s.activation = "leaky_relu";
  s.source =
      "anokland/local-loss run_experiments.sh and train.py (Adam 5e-4, batch 128, x0.25 at 4 milestones, "
      "dropout per dataset; LeakyReLU with a sim loss)";
  return preset_form(preset, arch, s);
}

MethodInfo local_error(const std::string& name, const std::string& description, bool pred, bool sim, bool bpf) {
  std::vector<Setting> settings = {Setting::on_off(
      "ll_loss_before_dropout", true,
      "the local losses read a block's output before its dropout, as anokland/local-loss (false: after it)")};
  if (pred && sim)
    settings.push_back(Setting::real("ll_beta", 0.99, "weight of the sim loss, (1 - beta) pred + beta sim").in(0, 1));
  return {name, description, settings,
          [=](Model& m, const BuildContext& ctx) {
            LocalErrorOptions o;
            o.classes = ctx.classes;
            o.pred = pred;
            o.sim = sim;
            o.beta = pred && sim ? ctx.settings.real("ll_beta") : 0.99;
            o.backprop_free = bpf;
            auto loss_for = [&](size_t l) { return std::make_shared<LocalErrorLoss>(o, m.net->output_sizes[l]); };
            if (ctx.settings.on("ll_loss_before_dropout"))
              ctx.add_block_stages_loss_before_dropout(m, loss_for);
            else
              ctx.add_block_stages(m, loss_for);
            ctx.run_sequentially(m);
          },
          [=](Preset p, const ArchInfo& arch, const data::DatasetInfo& data) {
            return local_error_preset(p, arch, data, sim, bpf);
          }};
}

}  // namespace

MethodInfo method_ll_pred() {
  return local_error("ll-pred", "local learning: linear classifier on the pooled block output (Nokland & Eidnes)", true,
                     false, false);
}

MethodInfo method_ll_sim() {
  return local_error("ll-sim", "local learning: similarity matching through a 3x3 conv (Nokland & Eidnes)", false, true,
                     false);
}

MethodInfo method_ll_predsim() {
  return local_error("ll-predsim", "local learning: (1 - beta) pred + beta sim (Nokland & Eidnes)", true, true, false);
}

MethodInfo method_ll_bpf() {
  return local_error("ll-bpf",
                     "local learning, backprop-free predsim: std similarity, feedback alignment (Nokland & Eidnes)",
                     true, true, true);
}

}  // namespace dcl
