#include "dcl/nn/conv_block.h"

#include "dcl/torch_compat.h"

namespace dcl {
namespace nn = torch::nn;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// Samples per chunk: every temporary of the fused path (oneDNN's layout copies, the BN/ReLU
// output before pooling, the gradient at the BN output) exists for one chunk at a time.
constexpr int64_t kChunk = 32;

template <typename Fn>
void for_chunks(int64_t n, Fn fn) {
  for (int64_t n0 = 0; n0 < n; n0 += kChunk) fn(n0, std::min(kChunk, n - n0));
}

torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

// Position of each 2x2 window's maximum inside its window (0..3) as one byte, instead of an int64
// index into the plane: 1/8 of the memory.
torch::Tensor window_code(torch::Tensor flat_index, int64_t width) {
  torch::Tensor col = flat_index.remainder(width).remainder_(2);  // the column's parity, also for odd widths
  return flat_index.div_(width, "floor").remainder_(2).mul_(2).add_(col).to(torch::kUInt8);
}

// 2x2/2 max-pooling's gradient routing: each pooled gradient goes to its window's argmax. An odd
// last row or column of the [height, width] input belongs to no window and gets zero.
torch::Tensor unpool(const torch::Tensor& g, const torch::Tensor& code, int64_t height, int64_t width) {
  int64_t n = g.size(0), c = g.size(1), h = g.size(2), w = g.size(3);
  torch::Tensor out = torch::zeros({n, c, h, 2, w, 2}, g.options());
  for (int64_t dy = 0; dy < 2; ++dy)
    for (int64_t dx = 0; dx < 2; ++dx) out.select(5, dx).select(3, dy).copy_(g * code.eq(dy * 2 + dx));
  out = out.view({n, c, 2 * h, 2 * w});
  if (height == 2 * h && width == 2 * w) return out;
  return torch::constant_pad_nd(out, {0, width - 2 * w, 0, height - 2 * h});
}

struct FusedConvBnReluPool : public torch::autograd::Function<FusedConvBnReluPool> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                               torch::Tensor gamma, torch::Tensor beta, torch::Tensor running_mean,
                               torch::Tensor running_var, int64_t stride, int64_t padding, double momentum, double eps,
                               bool pool) {
    const int64_t N = x.size(0);
    auto conv = [&](const torch::Tensor& xi) {
      return at::convolution(xi, weight, bias, {stride, stride}, {padding, padding}, {1, 1}, false, {0, 0}, 1);
    };
    torch::Tensor y = conv(x.narrow(0, 0, std::min(kChunk, N)));
    if (N > kChunk) {
      torch::Tensor first = y;
      y = torch::empty({N, first.size(1), first.size(2), first.size(3)}, first.options());
      y.narrow(0, 0, kChunk).copy_(first);
      first = torch::Tensor();
      for_chunks(N, [&](int64_t n0, int64_t n) {
        if (n0 > 0) y.narrow(0, n0, n).copy_(conv(x.narrow(0, n0, n)));
      });
    }
    // Batch statistics (biased variance normalises; the running estimate uses the unbiased one).
    const double M = double(y.numel() / y.size(1));
    torch::Tensor mean = y.mean({0, 2, 3});
    torch::Tensor var = y.var({0, 2, 3}, /*unbiased=*/false);
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum).add_(var * (M / std::max(1.0, M - 1)), momentum);
    }
    torch::Tensor invstd = (var + eps).rsqrt();
    torch::Tensor scale = per_channel(gamma * invstd), shift = per_channel(beta - mean * gamma * invstd);

    torch::Tensor out, code;
    if (pool) {
      out = torch::empty({N, y.size(1), y.size(2) / 2, y.size(3) / 2}, y.options());
      code = torch::empty(out.sizes(), y.options().dtype(torch::kUInt8));
      for_chunks(N, [&](int64_t n0, int64_t n) {
        torch::Tensor z = (y.narrow(0, n0, n) * scale + shift).relu_();
        auto [p, idx] = at::max_pool2d_with_indices(z, {2, 2}, {2, 2});
        out.narrow(0, n0, n).copy_(p);
        code.narrow(0, n0, n).copy_(window_code(idx, y.size(3)));
      });
    } else {
      out = (y * scale + shift).relu_();
    }
    ctx->save_for_backward({x, weight, y, gamma, mean, invstd, out, code});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["pool"] = pool;
    ctx->saved_data["x_needs_grad"] = x.requires_grad();
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    torch::Tensor x = s[0], weight = s[1], y = s[2], gamma = s[3], mean = s[4], invstd = s[5], out = s[6], code = s[7];
    int64_t stride = ctx->saved_data["stride"].toInt(), padding = ctx->saved_data["padding"].toInt();
    bool pool = ctx->saved_data["pool"].toBool(), x_grad = ctx->saved_data["x_needs_grad"].toBool();
    const torch::Tensor& g_out = grads[0];
    const int64_t N = y.size(0), C = y.size(1);
    const double M = double(y.numel() / C);

    // dL/dz for a chunk: the gradient at the BN output, masked by the ReLU, routed through the pool.
    auto g_at_bn = [&](int64_t n0, int64_t n) {
      torch::Tensor g = g_out.narrow(0, n0, n) * out.narrow(0, n0, n).gt(0);
      return pool ? unpool(g, code.narrow(0, n0, n), y.size(2), y.size(3)) : g;
    };
    // Pass 1, BN's reductions: dβ = Σ g, dγ = Σ g x̂ with x̂ = (y - mean) invstd.
    torch::Tensor sum_g = torch::zeros({C}, y.options()), sum_gy = torch::zeros({C}, y.options());
    for_chunks(N, [&](int64_t n0, int64_t n) {
      torch::Tensor g = g_at_bn(n0, n);
      sum_g += g.sum({0, 2, 3});
      sum_gy += (g * y.narrow(0, n0, n)).sum({0, 2, 3});
    });
    torch::Tensor dgamma = invstd * (sum_gy - mean * sum_g), dbeta = sum_g;
    // Pass 2: dy = γ invstd (g - dβ/M - x̂ dγ/M) = k (g - y c - (dβ/M - mean c)), c = invstd dγ/M,
    // in place on the chunk, then the convolution's gradients for that chunk.
    torch::Tensor c = invstd * dgamma / M;
    torch::Tensor k = per_channel(gamma * invstd), offset = per_channel(dbeta / M - mean * c);
    c = per_channel(c);
    std::vector<int64_t> bias_sizes{weight.size(0)};
    torch::Tensor gx = x_grad ? torch::empty_like(x) : torch::Tensor(), gw, gb;
    for_chunks(N, [&](int64_t n0, int64_t n) {
      torch::Tensor g = g_at_bn(n0, n).contiguous();
      g.addcmul_(y.narrow(0, n0, n), c, -1.0).sub_(offset).mul_(k);
      auto r = at::convolution_backward(g, x.narrow(0, n0, n), weight, at::IntArrayRef(bias_sizes), {stride, stride},
                                        {padding, padding}, {1, 1}, false, {0, 0}, 1, {x_grad, true, true});
      if (x_grad) gx.narrow(0, n0, n).copy_(std::get<0>(r));
      gw = gw.defined() ? gw.add_(std::get<1>(r)) : std::get<1>(r);
      gb = gb.defined() ? gb.add_(std::get<2>(r)) : std::get<2>(r);
    });
    return {gx,
            gw,
            gb,
            dgamma,
            dbeta,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

ConvBlockImpl::ConvBlockImpl(const ConvBlockOptions& o) : options_(o) {
  conv = register_module("conv",
                         nn::Conv2d(nn::Conv2dOptions(o.in, o.out, o.kernel).stride(o.stride).padding(o.kernel / 2)));
  bn = register_module("bn", nn::BatchNorm2d(o.out));
}

torch::Tensor ConvBlockImpl::forward_reference(torch::Tensor x) {
  torch::Tensor z = torch::relu(bn->forward(conv->forward(x)));
  return options_.pool ? torch::max_pool2d(z, 2, 2) : z;
}

torch::Tensor ConvBlockImpl::forward(torch::Tensor x) {
  // Under autocast (--amp) the module chain runs, so that its convolution is cast to the lower
  // precision: the fused path calls the convolution below autocast's reach, in float32.
  if (!is_training() || !torch::GradMode::is_enabled() || compat::autocast_enabled(x.device().type()))
    return forward_reference(x);
  const auto& bo = bn->options;
  bn->num_batches_tracked += 1;  // as the module would
  return FusedConvBnReluPool::apply(x, conv->weight, conv->bias, bn->weight, bn->bias, bn->running_mean,
                                    bn->running_var, int64_t(options_.stride), int64_t(options_.kernel / 2),
                                    bo.momentum().value_or(0.1), bo.eps(), options_.pool);
}

}  // namespace dcl
