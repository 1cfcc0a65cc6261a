#pragma once
// The units of He et al.'s residual networks, as InfoPro and AugLocal build them
// (blackfeather-wang/InfoPro-Pytorch networks/resnet.py; ChenxiangMA/AugLocal networks/resnet.py):
// a stem (conv + BN + ReLU [+ 3x3 max-pool]) and residual blocks, basic (two 3x3 convs) or
// bottleneck (1x1, 3x3, 1x1 with 4x expansion), with a 1x1-conv + BN projection shortcut where the
// stride or the width changes. A ResNet is a chain of units; its K local modules are runs of
// consecutive units (nn/archs/resnet.cpp), and AugLocal builds its auxiliary networks from copies
// of the units after a module (methods/auglocal.cpp).
#include <torch/torch.h>

namespace dcl {

enum class UnitKind { Stem, Basic, Bottleneck };

struct UnitSpec {
  UnitKind kind = UnitKind::Basic;
  int in = 0;      // input channels
  int planes = 0;  // width inside the unit; output channels: planes (stem, basic) or 4 * planes (bottleneck)
  int stride = 1;
  int kernel = 3;      // the stem's convolution: 3 (CIFAR) or 7 (ImageNet)
  bool pool = false;   // the stem's 3x3 stride-2 max-pool (ImageNet)
  double dropout = 0;  // basic blocks: between the two convolutions, as InfoPro's BasicBlock
  int out() const { return kind == UnitKind::Bottleneck ? 4 * planes : planes; }
};

class ResidualUnitImpl : public torch::nn::Module {
 public:
  explicit ResidualUnitImpl(const UnitSpec& spec);
  torch::Tensor forward(torch::Tensor x);
  const UnitSpec& spec() const { return spec_; }

 private:
  UnitSpec spec_;
  torch::nn::Sequential body{nullptr};      // everything up to the addition
  torch::nn::Sequential shortcut{nullptr};  // projection, or null for the identity
};
TORCH_MODULE(ResidualUnit);

// InfoPro's and AugLocal's initialisation: conv weights N(0, 2 / (k*k*out)), BN weight 1, bias 0.
void init_resnet_weights(torch::nn::Module& module);

}  // namespace dcl
