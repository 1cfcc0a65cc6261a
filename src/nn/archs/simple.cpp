// The simple conv networks of spec section 2: conv 3x3 blocks of 64, 256 (stride 2) and, for
// simple512, 512 (stride 2) channels, then global average pooling and a linear head.
#include <cmath>
#include "dcl/nn/arch.h"

#include "dcl/nn/network.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

void build_simple(NetworkImpl& net, const NetworkOptions& o, int top) {
  const InputShape& in = o.input;
  const double slope = negative_slope(o);
  net.blocks = {conv_block(in.channels, 64, 3, 1, false, o.dropout, slope),
                conv_block(64, 256, 3, 2, false, o.dropout, slope)};
  net.shapes = {{64, 0}, {256, 0}};
  if (top == 512) {
    net.blocks.push_back(conv_block(256, 512, 3, 2, false, o.dropout, slope));
    net.shapes.push_back({512, 0});
  }
  net.head = nn::Sequential(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(top, o.classes));
}

TrainingSchedule simple_paper_schedule(const data::DatasetInfo& data) {
  if (data::mnist_like(data.preset_class)) return dcl_paper_schedule(0.0075, 512, 0.5, 150, {50, 75, 100, 125}, 0.0);
  if (data.preset_class == data::PresetClass::Cifar100)
    return dcl_paper_schedule(0.0075, 512, 0.5, 400, {100, 200, 250, 300, 350}, 0.0);
  return dcl_paper_schedule(0.0075, 512, 0.5, 500, {100, 200, 300, 400, 450}, 0.0);
}

ArchInfo simple(int top, double orthogonal_scale) {
  ArchInfo a;
  a.name = "simple" + std::to_string(top);
  a.description = "conv 3x3 blocks of 64, 256" + std::string(top == 512 ? ", 512" : "") +
                  " channels, average pooling and a linear head";
  a.family = ArchFamily::Conv;
  a.inputs = "any size of at least 4x4";
  a.build = [top](NetworkImpl& net, const NetworkOptions& o) { build_simple(net, o, top); };
  a.orthogonal_scale = orthogonal_scale;
  a.paper_schedule = simple_paper_schedule;
  return a;
}

}  // namespace

// The orthogonal scales are the authors' (spec section 1): sqrt(16.52) for simple256, sqrt(23.12)
// for the 512-wide networks.
std::vector<ArchInfo> simple_architectures() { return {simple(256, std::sqrt(16.52)), simple(512, std::sqrt(23.12))}; }

}  // namespace dcl
