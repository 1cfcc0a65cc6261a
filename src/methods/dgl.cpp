// DGL, decoupled greedy learning (Belilovsky, Eickenberg & Oyallon, ICML 2020; eugenium/DGL): each
// block learns through the cross-entropy of its own auxiliary classifier (losses/
// auxiliary_classifier_loss.h). The auxiliary network is the one AugLocal's benchmark uses for DGL
// (ChenxiangMA/AugLocal networks/auxiliary_nets.py, net_config 'DGL', citing eugenium/DGL
// auxiliary_nets_study/models.py), for a block output of C channels and S x S pixels:
//   adaptive average pool to ceil(S/4); 3 x [conv 1x1 C -> C (no bias) + BN + ReLU];
//   adaptive average pool to m = min(ceil(S/4), 2); flatten (F = C m m);
//   2 x [linear F -> F (no bias) + BN + ReLU]; linear F -> Z.
// The head learns on the detached last block output, as every local learner's here.
#include <cmath>

#include "dcl/losses/auxiliary_classifier_loss.h"
#include "dcl/methods/method.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

// A flat block output (VGG8B's linear block) gets the MLP part alone, on its F features.
nn::Sequential dgl_auxiliary_network(const std::vector<int64_t>& output_size, int classes) {
  nn::Sequential s;
  int64_t f = output_size.at(0);
  if (output_size.size() == 3) {
    const int64_t c = output_size[0], side = std::max(output_size[1], output_size[2]);
    const int64_t pooled = (side + 3) / 4, m = std::min<int64_t>(pooled, 2);
    f = c * m * m;
    s->push_back(nn::AdaptiveAvgPool2d(pooled));
    for (int i = 0; i < 3; ++i) {
      s->push_back(nn::Conv2d(nn::Conv2dOptions(c, c, 1).bias(false)));
      s->push_back(nn::BatchNorm2d(c));
      s->push_back(nn::ReLU());
    }
    s->push_back(nn::AdaptiveAvgPool2d(m));
    s->push_back(nn::Flatten());
  }
  for (int i = 0; i < 2; ++i) {
    s->push_back(nn::Linear(nn::LinearOptions(f, f).bias(false)));
    s->push_back(nn::BatchNorm1d(f));
    s->push_back(nn::ReLU());
  }
  s->push_back(nn::Linear(f, classes));
  return s;
}

}  // namespace

TrainingSchedule infopro_training(const data::DatasetInfo& data, int epochs);  // infopro.cpp

// --preset paper: the DGL row of AugLocal's run.sh (the benchmark that compares DGL, InfoPro and
// AugLocal on these ResNets): InfoPro's training, which their train.py keeps, for 400 epochs.
TrainingSchedule auglocal_benchmark_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = infopro_training(data, 400);
  s.source = "ChenxiangMA/AugLocal run.sh and train.py (Nesterov SGD 0.8, batch 1024, wd 1e-4, 400 epochs, cosine)";
  return preset_form(preset, arch, s);
}

MethodInfo method_dgl() {
  MethodAbilities abilities;
  abilities.fc_networks = false;  // its auxiliary network is convolutional
  return {
      "dgl",
      "decoupled greedy learning: cross-entropy through a conv-pool-MLP auxiliary network per block (DGL)",
      {},
      [](Model& m, const BuildContext& ctx) {
        ctx.add_stages_ending_in_classifier(m, [&](size_t l) {
          return std::make_shared<AuxiliaryClassifierLoss>(dgl_auxiliary_network(m.net->output_sizes[l], ctx.classes));
        });
        ctx.run_sequentially(m);
      },
      auglocal_benchmark_preset,
      abilities};
}

}  // namespace dcl
