// AugLocal (Ma, Wu, Wang & Xie, ICLR 2024; ChenxiangMA/AugLocal): each module learns through the
// cross-entropy of an auxiliary network built from a uniformly sampled subset of the network's own
// later units, so that its auxiliary task looks like the rest of the network's.
//
// For a module ending at unit l of a network of U units (the stem and its residual blocks), with
// auxiliary depth d (networks/auxiliary_nets.py, AuxNetwork, net_config 'unifSamp'):
//   units: all of l+1 .. U-1 when d >= U-1-l, else round(l + (U-l-1)/d * i) for i = 1..d
//          (Python's round: halves to even);
//   each a fresh residual unit of the sampled unit's width, stride 2 where the sampled units skip
//   a downsampling (theirs counts channel doublings, which is the same on their ResNets);
//   global average pooling, [BatchNorm1d when d <= 1], linear to the classes.
// Pyramidal depth (--auglocal-pyramid c > 0, their --pyramid): module i of the K - 1 that have an
// auxiliary network gets d_i = max(1, round(d (1 - i c/(K-2)) + i c/(K-2))), deeper nets first.
// Their run.sh subtracts d from --local_module_num (train.py: local_module_num - aux_net_depth);
// here --local-modules is the number of modules trained, whatever d is.
#include <cmath>

#include "dcl/losses/auxiliary_classifier_loss.h"
#include "dcl/methods/method.h"

namespace dcl {
namespace nn = torch::nn;

TrainingSchedule auglocal_benchmark_preset(Preset preset, const ArchInfo& arch,
                                           const data::DatasetInfo& data);  // dgl.cpp

namespace {

int python_round(double x) { return int(std::nearbyint(x)); }  // the default rounding mode: halves to even

// The units of the auxiliary network of the module that ends at `last` (indices into `units`).
std::vector<int> sampled_units(int last, int units, int depth) {
  std::vector<int> out;
  if (depth >= units - 1 - last) {
    for (int u = last + 1; u < units; ++u) out.push_back(u);
  } else {
    for (int i = 1; i <= depth; ++i) out.push_back(python_round(last + double(units - last - 1) / depth * i));
  }
  return out;
}

int module_depth(int depth, double pyramid, int module, int modules) {
  if (pyramid <= 0 || modules <= 2) return depth;
  double t = module * pyramid / (modules - 2);
  return std::max(1, python_round(depth * (1 - t) + t));
}

nn::Sequential auglocal_auxiliary_network(const NetworkImpl& net, size_t module, int depth, int classes) {
  const std::vector<UnitSpec>& units = net.units;
  const int last = net.block_last_unit[module];
  nn::Sequential s;
  int in = units[last].out(), pools = 0, previous = last;
  for (int u : sampled_units(last, int(units.size()), depth)) {
    for (int skipped = previous + 1; skipped <= u; ++skipped)
      if (units[skipped].stride > 1) ++pools;
    previous = u;
    UnitSpec spec = units[u];
    spec.in = in;
    spec.stride = pools > 0 ? 2 : 1;
    if (pools > 0) --pools;
    spec.dropout = 0;
    s->push_back(ResidualUnit(spec));
    in = spec.out();
  }
  s->push_back(nn::AdaptiveAvgPool2d(1));
  s->push_back(nn::Flatten());
  if (depth <= 1) s->push_back(nn::BatchNorm1d(in));
  s->push_back(nn::Linear(in, classes));
  init_resnet_weights(*s);
  return s;
}

}  // namespace

MethodInfo method_auglocal() {
  MethodAbilities abilities;
  abilities.residual_networks_only = true;
  return {"auglocal",
          "AugLocal: cross-entropy through an auxiliary network of sampled later residual units per module",
          {Setting::integer("auglocal_depth", 3, "AugLocal: residual units in each auxiliary network (their d)")
               .in(1, 1000)
               .shaping(),
           Setting::real("auglocal_pyramid", 0.5,
                         "AugLocal: pyramidal depth coefficient, shallower auxiliary networks for later modules "
                         "(0 = every one of depth --auglocal-depth)")
               .in(0, 1)
               .shaping()},
          [](Model& m, const BuildContext& ctx) {
            const int depth = ctx.settings.integer("auglocal_depth");
            const double pyramid = ctx.settings.real("auglocal_pyramid");
            const int modules = int(m.net->blocks.size());
            ctx.add_stages_ending_in_classifier(m, [&](size_t l) {
              return std::make_shared<AuxiliaryClassifierLoss>(
                  auglocal_auxiliary_network(*m.net, l, module_depth(depth, pyramid, int(l), modules), ctx.classes));
            });
            ctx.run_sequentially(m);
          },
          auglocal_benchmark_preset,
          abilities};
}

}  // namespace dcl
