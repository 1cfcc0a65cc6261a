// Nøkland & Eidnes' VGG8B (spec section 2): six conv blocks (128, 256, 256, 512, 512, 512 channels,
// four 2x2 max-pools), then a linear block of 1024 units and a linear head; a 7x7 stride-2 first
// conv for 96x96 inputs (STL-10).
#include "dcl/nn/arch.h"
#include "dcl/nn/network.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

void build_vgg(NetworkImpl& net, const NetworkOptions& o) {
  const InputShape& in = o.input;
  const double dropout = o.dropout;
  bool supported = in.height == in.width && (in.height == 28 || in.height == 32 || in.height == 96);
  if (!supported) throw std::invalid_argument("vgg8b needs 28x28, 32x32 or 96x96 inputs; got " + in.str());
  bool large = in.height == 96;
  const double slope = negative_slope(o);
  net.blocks = {conv_block(in.channels, 128, large ? 7 : 3, large ? 2 : 1, false, dropout, slope),
                conv_block(128, 256, 3, 1, true, dropout, slope),
                conv_block(256, 256, 3, 1, false, dropout, slope),
                conv_block(256, 512, 3, 1, true, dropout, slope),
                conv_block(512, 512, 3, 1, true, dropout, slope),
                conv_block(512, 512, 3, 1, true, dropout, slope)};
  net.shapes = {{128, 0}, {256, 0}, {256, 0}, {512, 0}, {512, 0}, {512, 0}};
  int spatial = large ? in.height / 2 : in.height;
  for (int i = 0; i < 4; ++i) spatial /= 2;  // four 2x2 max-pools
  int flat = 512 * spatial * spatial;        // 2048 (32x32), 512 (28x28), 4608 (96x96)
  nn::Sequential fc;
  fc->push_back(nn::Flatten());
  fc->push_back(nn::Linear(flat, 1024));
  fc->push_back(nn::BatchNorm1d(1024));
  if (slope > 0)
    fc->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(slope).inplace(true)));
  else
    fc->push_back(nn::ReLU(nn::ReLUOptions(true)));
  if (dropout > 0) fc->push_back(nn::Dropout(dropout));
  net.blocks.push_back(fc);
  net.shapes.push_back({512, 2});  // dictionary loss on 2 patches of 512
  net.head = nn::Sequential(nn::Linear(1024, o.classes));
}

TrainingSchedule vgg_paper_schedule(const data::DatasetInfo& data) {
  using data::PresetClass;
  switch (data.preset_class) {
    case PresetClass::Mnist: return dcl_paper_schedule(5e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.1);
    case PresetClass::FashionMnist: return dcl_paper_schedule(5e-4, 128, 0.25, 200, {100, 150, 175, 188}, 0.1);
    case PresetClass::Svhn: return dcl_paper_schedule(3e-4, 128, 0.25, 100, {50, 75, 89, 94}, 0.05);
    case PresetClass::Stl10: return dcl_paper_schedule(5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.1);
    case PresetClass::Cifar10:
    case PresetClass::Cifar100: break;
  }
  return dcl_paper_schedule(5e-4, 128, 0.25, 400, {200, 300, 350, 375}, 0.05);
}

}  // namespace

std::vector<ArchInfo> vgg_architectures() {
  ArchInfo vgg;
  vgg.name = "vgg8b";
  vgg.description = "VGG8B (Nokland & Eidnes): 6 conv blocks, a 1024-unit linear block and a linear head";
  vgg.family = ArchFamily::Conv;
  vgg.inputs = "28x28, 32x32 or 96x96";
  vgg.build = build_vgg;
  vgg.orthogonal_scale = std::sqrt(23.12);  // the authors' value for 512-wide networks (spec section 1)
  vgg.paper_schedule = vgg_paper_schedule;
  return {vgg};
}

}  // namespace dcl
