// The fc network (spec section 2): flatten; linear blocks of width W, LayerNorm before each but the
// first; the block outputs are viewed as P patches of W / P dims for the dictionary loss.
#include "dcl/nn/arch.h"
#include "dcl/nn/network.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

// [LayerNorm] + Linear + ReLU (tanh, LeakyReLU) + dropout: the reference FCBlock with pre-norm.
nn::Sequential fc_block(int in, int out, bool prenorm, double dropout, const NetworkOptions& o, bool flatten = false) {
  nn::Sequential s;
  if (flatten) s->push_back(nn::Flatten());
  if (prenorm) s->push_back(nn::LayerNorm(nn::LayerNormOptions({in})));
  s->push_back(nn::Linear(in, out));
  if (o.activation == "tanh")
    s->push_back(nn::Tanh());
  else if (o.activation == "leaky_relu")
    s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(kLeakyReluSlope).inplace(true)));
  else
    s->push_back(nn::ReLU(nn::ReLUOptions(true)));
  if (dropout > 0) s->push_back(nn::Dropout(dropout));
  return s;
}

void build_fc(NetworkImpl& net, const NetworkOptions& o) {
  const InputShape& in = o.input;
  // Without a dataset's own values (bench's synthetic inputs, tests): the spec's MNIST values for
  // 1x28x28 inputs (W 1024, P 8 for one channel), the CIFAR-10 values otherwise (W 3072, P 48).
  int width = o.fc_width > 0 ? o.fc_width : (in.channels == 1 && in.height == 28 ? 1024 : 3072);
  int patches = o.fc_patches > 0 ? o.fc_patches : (in.channels == 1 ? 8 : 48);
  if (width % patches != 0)
    throw std::invalid_argument("fc: width " + std::to_string(width) + " is not divisible by patch count " +
                                std::to_string(patches));
  if (o.activation != "relu" && o.activation != "tanh" && o.activation != "leaky_relu")
    throw std::invalid_argument("fc: --activation must be relu, tanh or leaky_relu, not '" + o.activation + "'");
  net.blocks = {fc_block(in.channels * in.height * in.width, width, false, o.dropout, o, true),
                fc_block(width, width, true, o.dropout, o)};
  net.shapes = {{width / patches, patches}, {width / patches, patches}};
  net.head = nn::Sequential(nn::LayerNorm(nn::LayerNormOptions({width})), nn::Linear(width, o.classes));
  if (o.fc_head_relu) net.head->push_back(nn::ReLU());
}

TrainingSchedule fc_paper_schedule(const data::DatasetInfo& data) {
  if (data::mnist_like(data.preset_class)) return dcl_paper_schedule(5e-4, 512, 0.5, 150, {50, 100, 125}, 0.0);
  if (data.preset_class == data::PresetClass::Cifar100)
    return dcl_paper_schedule(1e-4, 512, 0.5, 200, {50, 100, 150}, 0.3);
  return dcl_paper_schedule(2e-4, 512, 0.5, 400, {50, 150, 200, 350}, 0.0);
}

}  // namespace

std::vector<ArchInfo> fc_architectures() {
  ArchInfo fc;
  fc.name = "fc";
  fc.description = "fully connected: 2 blocks of width W (--fc-width) and a linear head";
  fc.family = ArchFamily::Fc;
  fc.inputs = "any size";
  fc.build = build_fc;
  fc.min_batch = 1;  // LayerNorm: no batch statistics
  fc.paper_schedule = fc_paper_schedule;
  return {fc};
}

}  // namespace dcl
