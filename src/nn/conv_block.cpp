#include "dcl/nn/conv_block.h"

#include <c10/core/impl/LocalDispatchKeySet.h>

#include "bn_relu_pool_kernels.h"
#include "dcl/util/cpu_features.h"
#include "dcl/util/torch_compat.h"

namespace dcl {
namespace nn = torch::nn;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// The block's convolution of samples [n0, n0 + n) in the weight's dtype: the forward's chunks,
// and the backward's recomputed ones.
torch::Tensor conv_chunk(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                         int64_t padding, int64_t n0, int64_t n) {
  return at::convolution(x.narrow(0, n0, n).to(weight.scalar_type()), weight, bias, {stride, stride},
                         {padding, padding}, {1, 1}, false, {0, 0}, 1);
}

// The fused path states its dtypes itself (below): autocast must not recast its convolutions.
using NoAutocast = c10::impl::ExcludeDispatchKeyGuard;

template <typename Fn>
void for_chunks(int64_t n, int64_t chunk, Fn fn) {
  for (int64_t n0 = 0; n0 < n; n0 += chunk) fn(n0, std::min(chunk, n - n0));
}

struct FusedConvBnReluPool : public torch::autograd::Function<FusedConvBnReluPool> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                               torch::Tensor gamma, torch::Tensor beta, torch::Tensor running_mean,
                               torch::Tensor running_var, int64_t stride, int64_t padding, double momentum, double eps,
                               bool pool, int64_t chunk, bool recompute, bool bf16_storage, bool bf16_conv) {
    NoAutocast no_autocast(c10::autocast_dispatch_keyset);
    const int64_t N = x.size(0);
    // x's dtype is the one the element-wise loops and BatchNorm's statistics work in; bfloat16,
    // where asked, only stores y and runs the convolutions (conv_chunk casts x's chunks).
    const torch::ScalarType work = x.scalar_type(), storage = bf16_storage ? torch::kBFloat16 : work;
    const torch::Tensor conv_weight = bf16_conv ? weight.to(torch::kBFloat16) : weight,
                        conv_bias = bf16_conv ? bias.to(torch::kBFloat16) : bias;
    auto conv = [&](int64_t n0, int64_t n) { return conv_chunk(x, conv_weight, conv_bias, stride, padding, n0, n); };
    // Pass 1: the convolution by chunks and BatchNorm's batch statistics. Kept, y is assembled
    // whole; recomputed, each chunk is dropped once counted.
    torch::Tensor y, moments_acc;
    std::vector<int64_t> y_sizes;
    for_chunks(N, chunk, [&](int64_t n0, int64_t n) {
      torch::Tensor yc = conv(n0, n);
      bn_relu_pool::accumulate_moments(yc.to(work), moments_acc);
      if (y_sizes.empty()) y_sizes = {N, yc.size(1), yc.size(2), yc.size(3)};
      if (recompute) return;
      if (n == N) {
        y = yc.to(storage);
        return;
      }
      if (!y.defined()) y = torch::empty(y_sizes, yc.options().dtype(storage));
      y.narrow(0, n0, n).copy_(yc);
    });
    // Batch statistics (biased variance normalises; the running estimate uses the unbiased one).
    const double M = double(N * y_sizes[2] * y_sizes[3]);
    auto [mean, var] = bn_relu_pool::moments(moments_acc, int64_t(M));
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum).add_(var * (M / std::max(1.0, M - 1)), momentum);
    }
    torch::Tensor invstd = (var + eps).rsqrt();
    torch::Tensor scale = gamma * invstd, shift = beta - mean * gamma * invstd;

    // Pass 2: normalise, ReLU [and pool] by chunks (recomputing each chunk's convolution when y
    // was not kept), so that the full-size BN/ReLU output never exists when the block pools.
    torch::Tensor out, code;
    if (pool) {
      out = torch::empty({N, y_sizes[1], y_sizes[2] / 2, y_sizes[3] / 2}, x.options());
      code = torch::empty(out.sizes(), x.options().dtype(torch::kUInt8));
    } else {
      out = torch::empty(y_sizes, x.options());
    }
    for_chunks(N, chunk, [&](int64_t n0, int64_t n) {
      torch::Tensor yc = (recompute ? conv(n0, n) : y.narrow(0, n0, n)).to(work);
      if (pool)
        bn_relu_pool::normalize_relu_pool(yc, scale, shift, out.narrow(0, n0, n), code.narrow(0, n0, n));
      else
        bn_relu_pool::normalize_relu(yc, scale, shift, out.narrow(0, n0, n));
    });
    ctx->save_for_backward({x, weight, bias, y, gamma, mean, invstd, out, code});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["pool"] = pool;
    ctx->saved_data["chunk"] = chunk;
    ctx->saved_data["recompute"] = recompute;
    ctx->saved_data["bf16_conv"] = bf16_conv;
    ctx->saved_data["x_needs_grad"] = x.requires_grad();
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    NoAutocast no_autocast(c10::autocast_dispatch_keyset);
    auto s = ctx->get_saved_variables();
    torch::Tensor x = s[0], weight = s[1], bias = s[2], y = s[3], gamma = s[4], mean = s[5], invstd = s[6], out = s[7],
                  code = s[8];
    int64_t stride = ctx->saved_data["stride"].toInt(), padding = ctx->saved_data["padding"].toInt(),
            chunk = ctx->saved_data["chunk"].toInt();
    bool pool = ctx->saved_data["pool"].toBool(), recompute = ctx->saved_data["recompute"].toBool(),
         x_grad = ctx->saved_data["x_needs_grad"].toBool(), bf16_conv = ctx->saved_data["bf16_conv"].toBool();
    const torch::Tensor& g_out = grads[0];
    const int64_t N = x.size(0);
    const torch::ScalarType work = x.scalar_type(), conv_dtype = bf16_conv ? torch::kBFloat16 : work;
    const torch::Tensor conv_weight = weight.to(conv_dtype), conv_bias = bias.to(conv_dtype);
    // The conv output of a chunk in the working dtype: kept, or computed again from the saved input.
    auto y_chunk = [&](int64_t n0, int64_t n) {
      if (!recompute) return y.narrow(0, n0, n).to(work);
      torch::NoGradGuard no_grad;
      return conv_chunk(x, conv_weight, conv_bias, stride, padding, n0, n).to(work);
    };
    // Pass 1, BN's reductions: dβ = Σ g, dγ = Σ g x̂ with x̂ = (y - mean) invstd, where g is the
    // gradient at the BN output (masked by the ReLU, routed through the pool).
    torch::Tensor sums;
    int64_t plane = 0;
    for_chunks(N, chunk, [&](int64_t n0, int64_t n) {
      torch::Tensor yc = y_chunk(n0, n);
      plane = yc.size(2) * yc.size(3);
      bn_relu_pool::accumulate_grad_sums(g_out.narrow(0, n0, n), out.narrow(0, n0, n),
                                         pool ? code.narrow(0, n0, n) : code, yc, pool, sums);
    });
    const double M = double(N * plane);
    torch::Tensor sum_g = sums[0].to(torch::kFloat), sum_gy = sums[1].to(torch::kFloat);
    torch::Tensor dgamma = invstd * (sum_gy - mean * sum_g), dbeta = sum_g;
    // Pass 2: dy = γ invstd (g - dβ/M - x̂ dγ/M) = k (g - c y - offset), c = invstd dγ/M,
    // offset = dβ/M - mean c; then the convolution's gradients for the chunk.
    torch::Tensor c = invstd * dgamma / M;
    torch::Tensor k = gamma * invstd, offset = dbeta / M - mean * c;
    std::vector<int64_t> bias_sizes{weight.size(0)};
    torch::Tensor gx = x_grad ? torch::empty_like(x) : torch::Tensor(), gw, gb;
    for_chunks(N, chunk, [&](int64_t n0, int64_t n) {
      torch::Tensor dy =
          bn_relu_pool::grad_at_conv(g_out.narrow(0, n0, n), out.narrow(0, n0, n), pool ? code.narrow(0, n0, n) : code,
                                     y_chunk(n0, n), pool, k, c, offset);
      auto r = at::convolution_backward(dy.to(conv_dtype), x.narrow(0, n0, n).to(conv_dtype), conv_weight,
                                        at::IntArrayRef(bias_sizes), {stride, stride}, {padding, padding}, {1, 1},
                                        false, {0, 0}, 1, {x_grad, true, true});
      if (x_grad) gx.narrow(0, n0, n).copy_(std::get<0>(r));
      // The chunks' weight gradients are summed in the working dtype (float32 under bf16).
      gw = gw.defined() ? gw.add_(std::get<1>(r)) : std::get<1>(r).to(work);
      gb = gb.defined() ? gb.add_(std::get<2>(r)) : std::get<2>(r).to(work);
    });
    torch::Tensor none;
    return {gx, gw, gb, dgamma, dbeta, none, none, none, none, none, none, none, none, none, none, none};
  }
};

}  // namespace

ConvBlockImpl::ConvBlockImpl(const ConvBlockOptions& o) : options_(o) {
  conv = register_module("conv",
                         nn::Conv2d(nn::Conv2dOptions(o.in, o.out, o.kernel).stride(o.stride).padding(o.kernel / 2)));
  bn = register_module("bn", nn::BatchNorm2d(o.out));
}

void ConvBlockImpl::set_memory_plan(int64_t chunk, bool recompute) {
  if (chunk < 1) throw std::invalid_argument("conv block: chunk must be at least 1 sample");
  chunk_ = chunk;
  recompute_ = recompute;
}

torch::Tensor ConvBlockImpl::forward_reference(torch::Tensor x) {
  torch::Tensor a = bn->forward(conv->forward(x));
  torch::Tensor z = options_.negative_slope > 0 ? torch::leaky_relu(a, options_.negative_slope) : torch::relu(a);
  return options_.pool ? torch::max_pool2d(z, 2, 2) : z;
}

bool ConvBlockImpl::bf16_convolution_default() {
  static const bool native = native_bf16(cpu_features());
  return native;
}

torch::Tensor ConvBlockImpl::forward(torch::Tensor x) {
  if (!is_training() || !torch::GradMode::is_enabled() || options_.negative_slope > 0) return forward_reference(x);
  // Under autocast (--amp bf16): y is stored in bfloat16 and the convolutions run in it on CUDA and
  // where the processor has bfloat16 products; BatchNorm's statistics, the element-wise loops,
  // the block output and the gradients' sums stay in float32.
  const bool amp = compat::autocast_enabled(x.device().type());
  if (amp) x = x.to(torch::kFloat);
  const bool bf16_conv = amp && (x.is_cuda() || bf16_convolution_);
  const auto& bo = bn->options;
  bn->num_batches_tracked += 1;  // as the module would
  return FusedConvBnReluPool::apply(x, conv->weight, conv->bias, bn->weight, bn->bias, bn->running_mean,
                                    bn->running_var, int64_t(options_.stride), int64_t(options_.kernel / 2),
                                    bo.momentum().value_or(0.1), bo.eps(), options_.pool, chunk_, recompute_, amp,
                                    bf16_conv);
}

}  // namespace dcl
