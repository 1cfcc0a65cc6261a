// He et al.'s residual networks split into K local modules, the networks the supervised
// local-learning literature measures on (InfoPro, ICLR 2021; AugLocal, ICLR 2024; DGL, ICML 2020).
//
// CIFAR ResNets (resnet32/56/110): a 3x3 stem of 16 channels, then three stages of n basic blocks
// of 16, 32 and 64 channels (the 2nd and 3rd start with stride 2), as InfoPro's networks/resnet.py
// (InfoProResNet: conv1/bn1/relu, _make_layer with a 1x1 projection shortcut).
// ImageNet ResNets (resnet18/34/50): the 7x7 stride-2 stem and 3x3 max-pool for inputs of 128 px
// and more (224-px folders); for smaller inputs (32 px, STL-10's 96 px) the usual stem change, a 3x3
// stride-1 conv without the max-pool, so that 32-px inputs are not reduced to 1x1 before the last
// stage. Stages of 64, 128, 256 and 512 (x4 for resnet50's bottlenecks).
//
// A network is a chain of units, the stem and every residual block: resnet32 has 16, resnet110 55.
// `--local-modules K` splits it into K runs of consecutive units at unit boundaries:
//  - where InfoPro's table defines K (InfoPro-Pytorch "Experiments on CIFAR-SVHN-STL10/networks/
//    configs.py", lines 2-29: resnet32 and resnet110, K = 2, 3, 4, 8, 16), at its split points
//    ([stage, block] after which a module ends; stage 0 is the stem);
//  - otherwise as AugLocal defines them (ChenxiangMA/AugLocal networks/configs.py, net_config and
//    the per-K lists: resnet32 K = 2..13, resnet110 K = 47..55; exp_imagenet/networks/configs.py:
//    resnet34/50 K = 17, resnet101 K = 34; networks/resnet.py line 122 takes the first K - 1 entries
//    of net_config): each of the first K - 1 units is a module, the last module holds the rest.
// The last module ends in the classifier: global average pooling and a linear layer.
#include <string>
#include <vector>

#include "dcl/nn/arch.h"
#include "dcl/nn/network.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

struct ResNetDesign {
  std::string name;
  UnitKind block = UnitKind::Basic;
  std::vector<int> blocks;  // residual blocks per stage
  std::vector<int> widths;  // planes per stage
  int stem_width = 16;
  bool imagenet = false;
  // InfoPro's split points for K: the [stage, block] after which each of the first K - 1 modules
  // ends; K without an entry: AugLocal's rule.
  std::vector<std::pair<int, std::vector<std::pair<int, int>>>> infopro_splits;
};

int unit_count(const ResNetDesign& d) {
  int n = 1;
  for (int b : d.blocks) n += b;
  return n;
}

// The index, in the chain of units, of the last unit of each module.
std::vector<int> module_ends(const ResNetDesign& d, int k) {
  const int units = unit_count(d);
  std::vector<int> ends;
  for (const auto& [key, points] : d.infopro_splits) {
    if (key != k) continue;
    for (const auto& [stage, block] : points) {
      int unit = 0;  // stage 0: the stem
      for (int s = 1; s <= stage; ++s) unit += s < stage ? d.blocks[s - 1] : block + 1;
      ends.push_back(unit);
    }
    ends.push_back(units - 1);
    return ends;
  }
  for (int i = 0; i < k - 1; ++i) ends.push_back(i);
  ends.push_back(units - 1);
  return ends;
}

std::vector<UnitSpec> design_units(const ResNetDesign& d, const NetworkOptions& o) {
  std::vector<UnitSpec> units;
  UnitSpec stem;
  stem.kind = UnitKind::Stem;
  stem.in = o.input.channels;
  stem.planes = d.stem_width;
  const bool large = d.imagenet && o.input.height >= 128;
  stem.kernel = large ? 7 : 3;
  stem.stride = large ? 2 : 1;
  stem.pool = large;
  units.push_back(stem);
  int in = d.stem_width;
  for (size_t s = 0; s < d.blocks.size(); ++s)
    for (int b = 0; b < d.blocks[s]; ++b) {
      UnitSpec u;
      u.kind = d.block;
      u.in = in;
      u.planes = d.widths[s];
      u.stride = s > 0 && b == 0 ? 2 : 1;
      u.dropout = o.dropout;
      units.push_back(u);
      in = u.out();
    }
  return units;
}

void build_resnet(NetworkImpl& net, const NetworkOptions& o, const ResNetDesign& d) {
  const int units = unit_count(d);
  const int k = o.local_modules > 0 ? o.local_modules : arch_info(d.name).default_local_modules;
  if (k > units)
    throw std::invalid_argument(d.name + " has " + std::to_string(units) +
                                " units (the stem and its residual blocks), so --local-modules must be at most " +
                                std::to_string(units) + "; got " + std::to_string(k));
  if (o.input.height < 8 || o.input.width < 8)
    throw std::invalid_argument(d.name + " needs inputs of at least 8x8; got " + o.input.str());
  net.units = design_units(d, o);
  net.block_last_unit = module_ends(d, k);
  // Every unit is built and initialised before they are grouped, so that the weights do not depend
  // on K: BP on --local-modules 4 and 16 is the same network.
  std::vector<ResidualUnit> built;
  for (const UnitSpec& spec : net.units) built.push_back(ResidualUnit(spec));
  for (auto& unit : built) init_resnet_weights(*unit);
  int first = 0;
  for (int last : net.block_last_unit) {
    nn::Sequential module;
    for (int u = first; u <= last; ++u) module->push_back(built[u]);
    net.blocks.push_back(module);
    net.shapes.push_back({net.units[last].out(), 0});
    first = last + 1;
  }
  net.head = nn::Sequential(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(net.units.back().out(), o.classes));
}

// The DCL paper has no ResNet: its VGG8B schedule for the dataset (spec section 4), without the
// dropout, which neither InfoPro's nor AugLocal's ResNets use.
TrainingSchedule resnet_paper_schedule(const data::DatasetInfo& data) {
  TrainingSchedule s = arch_info("vgg8b").paper_schedule(data);
  s.dropout = 0;
  return s;
}

ArchInfo resnet(const ResNetDesign& d, const std::string& description) {
  ArchInfo a;
  a.name = d.name;
  a.description = description;
  a.family = ArchFamily::Conv;
  a.inputs = d.imagenet ? "any size of at least 8x8 (7x7 stem and max-pool from 128 px)" : "any size of at least 8x8";
  a.build = [d](NetworkImpl& net, const NetworkOptions& o) { build_resnet(net, o, d); };
  a.max_local_modules = unit_count(d);
  a.default_local_modules = 4;
  a.paper_schedule = resnet_paper_schedule;
  return a;
}

ResNetDesign cifar_resnet(const std::string& name, int n) {
  ResNetDesign d;
  d.name = name;
  d.blocks = {n, n, n};
  d.widths = {16, 32, 64};
  return d;
}

ResNetDesign imagenet_resnet(const std::string& name, UnitKind block, std::vector<int> blocks) {
  ResNetDesign d;
  d.name = name;
  d.block = block;
  d.blocks = std::move(blocks);
  d.widths = {64, 128, 256, 512};
  d.stem_width = 64;
  d.imagenet = true;
  return d;
}

}  // namespace

std::vector<ArchInfo> resnet_architectures() {
  ResNetDesign r32 = cifar_resnet("resnet32", 5), r56 = cifar_resnet("resnet56", 9),
               r110 = cifar_resnet("resnet110", 18);
  // InfoPro's configs.py, as [stage, block] pairs.
  r32.infopro_splits = {{2, {{2, 1}}},
                        {3, {{1, 4}, {2, 4}}},
                        {4, {{1, 2}, {2, 1}, {3, 0}}},
                        {8, {{1, 0}, {1, 2}, {1, 4}, {2, 1}, {2, 3}, {3, 0}, {3, 2}}},
                        {16,
                         {{0, 0},
                          {1, 0},
                          {1, 1},
                          {1, 2},
                          {1, 3},
                          {1, 4},
                          {2, 0},
                          {2, 1},
                          {2, 2},
                          {2, 3},
                          {2, 4},
                          {3, 0},
                          {3, 1},
                          {3, 2},
                          {3, 3}}}};
  r110.infopro_splits = {{2, {{2, 8}}},
                         {3, {{1, 17}, {2, 17}}},
                         {4, {{1, 11}, {2, 7}, {3, 3}}},
                         {8, {{1, 4}, {1, 11}, {2, 0}, {2, 7}, {2, 14}, {3, 3}, {3, 10}}},
                         {16,
                          {{1, 1},
                           {1, 4},
                           {1, 7},
                           {1, 10},
                           {1, 13},
                           {1, 16},
                           {2, 1},
                           {2, 4},
                           {2, 7},
                           {2, 11},
                           {2, 15},
                           {3, 1},
                           {3, 5},
                           {3, 9},
                           {3, 13}}}};
  const std::string cifar = " (He et al.'s CIFAR ResNet: 16/32/64 channels) in --local-modules K modules";
  return {resnet(r32, "ResNet-32" + cifar),
          resnet(r56, "ResNet-56" + cifar),
          resnet(r110, "ResNet-110" + cifar),
          resnet(imagenet_resnet("resnet18", UnitKind::Basic, {2, 2, 2, 2}),
                 "ResNet-18 (ImageNet ResNet, basic blocks) in --local-modules K modules"),
          resnet(imagenet_resnet("resnet34", UnitKind::Basic, {3, 4, 6, 3}),
                 "ResNet-34 (ImageNet ResNet, basic blocks) in --local-modules K modules"),
          resnet(imagenet_resnet("resnet50", UnitKind::Bottleneck, {3, 4, 6, 3}),
                 "ResNet-50 (ImageNet ResNet, bottleneck blocks) in --local-modules K modules")};
}

}  // namespace dcl
