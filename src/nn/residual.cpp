#include "dcl/nn/residual.h"

#include <cmath>

namespace dcl {
namespace nn = torch::nn;

namespace {

nn::Conv2d conv(int in, int out, int kernel, int stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

ResidualUnitImpl::ResidualUnitImpl(const UnitSpec& s) : spec_(s) {
  body = nn::Sequential();
  const int out = s.out();
  switch (s.kind) {
    case UnitKind::Stem:
      body->push_back(conv(s.in, out, s.kernel, s.stride));
      body->push_back(nn::BatchNorm2d(out));
      body->push_back(nn::ReLU(nn::ReLUOptions(true)));
      if (s.pool) body->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
      break;
    case UnitKind::Basic:
      body->push_back(conv(s.in, s.planes, 3, s.stride));
      body->push_back(nn::BatchNorm2d(s.planes));
      body->push_back(nn::ReLU(nn::ReLUOptions(true)));
      if (s.dropout > 0) body->push_back(nn::Dropout(s.dropout));
      body->push_back(conv(s.planes, s.planes, 3, 1));
      body->push_back(nn::BatchNorm2d(s.planes));
      break;
    case UnitKind::Bottleneck:
      body->push_back(conv(s.in, s.planes, 1, 1));
      body->push_back(nn::BatchNorm2d(s.planes));
      body->push_back(nn::ReLU(nn::ReLUOptions(true)));
      body->push_back(conv(s.planes, s.planes, 3, s.stride));
      body->push_back(nn::BatchNorm2d(s.planes));
      body->push_back(nn::ReLU(nn::ReLUOptions(true)));
      body->push_back(conv(s.planes, out, 1, 1));
      body->push_back(nn::BatchNorm2d(out));
      break;
  }
  register_module("body", body);
  if (s.kind != UnitKind::Stem && (s.stride != 1 || s.in != out)) {
    shortcut = nn::Sequential(conv(s.in, out, 1, s.stride), nn::BatchNorm2d(out));
    register_module("shortcut", shortcut);
  }
}

torch::Tensor ResidualUnitImpl::forward(torch::Tensor x) {
  if (spec_.kind == UnitKind::Stem) return body->forward(x);
  torch::Tensor residual = shortcut ? shortcut->forward(x) : x;
  return torch::relu(body->forward(x) + residual);
}

void init_resnet_weights(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules()) {
    if (auto* c = m->as<nn::Conv2d>()) {
      auto k = c->options.kernel_size();
      double n = double((*k)[0] * (*k)[1] * c->options.out_channels());
      c->weight.normal_(0, std::sqrt(2.0 / n));
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      b->weight.fill_(1);
      b->bias.zero_();
    }
  }
}

}  // namespace dcl
