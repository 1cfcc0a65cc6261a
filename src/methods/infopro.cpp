// InfoPro's contrastive auxiliary networks (spec section 5): ll-cont, and ll-contrec with the
// image decoder (losses/infopro_loss.h). The head learns on the detached last block output.
#include "dcl/losses/infopro_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

Setting supcon_temperature_setting();  // supcon.cpp

// InfoPro's training script (blackfeather-wang/InfoPro-Pytorch train.py, comand.sh), which
// AugLocal's train.py keeps: SGD with Nesterov's momentum 0.9, weight decay 1e-4, batch 1024, lr
// 0.8 on their cosine schedule with its 10-epoch warm-up, no dropout; STL-10 batch 128, lr 0.1.
TrainingSchedule infopro_training(const data::DatasetInfo& data, int epochs) {
  TrainingSchedule s;
  s.optimizer = OptimizerKind::Sgd;
  s.momentum = 0.9;
  s.nesterov = true;
  s.weight_decay = 1e-4;
  const bool stl10 = data.preset_class == data::PresetClass::Stl10;
  s.batch = stl10 ? 128 : 1024;
  s.lr = stl10 ? 0.1 : 0.8;
  s.epochs = epochs;
  s.lr_schedule = LrSchedule::Cosine;
  return s;
}

namespace {

// --preset paper: InfoPro's training for 160 epochs; λ = 5 (their ixx for ResNet-32, K = 2).
// InfoPro reports no MNIST-family runs: the same settings there.
TrainingSchedule infopro_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = infopro_training(data, 160);
  s.settings = {{"supcon_temperature", 0.07}, {"ll_recon_weight", 5.0}};
  s.source = "blackfeather-wang/InfoPro-Pytorch train.py (Nesterov SGD 0.8, batch 1024, wd 1e-4, 160 epochs, cosine)";
  return preset_form(preset, arch, s);
}

// InfoPro's decoder reconstructs the input image from a block's feature map (its conv decoder,
// losses/infopro_loss.h); the fc network's blocks have none, and a decoder of our own invention
// would not be InfoPro's: ll-contrec trains conv networks only.
MethodAbilities infopro_abilities(bool reconstruct) {
  MethodAbilities a;
  a.fc_networks = !reconstruct;
  return a;
}

MethodInfo infopro(const std::string& name, const std::string& description, bool reconstruct) {
  std::vector<Setting> settings = {supcon_temperature_setting()};
  if (reconstruct)
    settings.push_back(Setting::real("ll_recon_weight", 5.0, "weight of the reconstruction loss").at_least(0));
  return {name,
          description,
          settings,
          [=](Model& m, const BuildContext& ctx) {
            InfoProOptions o;
            o.temperature = ctx.settings.real("supcon_temperature");
            o.reconstruct = reconstruct;
            o.recon_weight = reconstruct ? ctx.settings.real("ll_recon_weight") : 0;
            o.image_channels = m.net->options.input.channels;
            ctx.add_block_stages(m, [&](size_t l) { return std::make_shared<InfoProLoss>(o, m.net->output_sizes[l]); });
            ctx.run_sequentially(m);
          },
          infopro_preset,
          infopro_abilities(reconstruct)};
}

}  // namespace

MethodInfo method_ll_cont() {
  return infopro("ll-cont", "local learning: supervised contrastive loss through an auxiliary network (InfoPro)",
                 false);
}

MethodInfo method_ll_contrec() {
  return infopro("ll-contrec", "local learning: ll-cont plus reconstruction of the input image (InfoPro)", true);
}

}  // namespace dcl
