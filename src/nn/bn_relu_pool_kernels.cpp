#include "bn_relu_pool_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <vector>

namespace dcl::bn_relu_pool {

namespace {

// Shapes of a chunk: N samples, C channels, an H x W plane; pooled planes are (H/2) x (W/2).
struct Dims {
  int64_t n, c, h, w, ho, wo;
  explicit Dims(const torch::Tensor& y)
      : n(y.size(0)), c(y.size(1)), h(y.size(2)), w(y.size(3)), ho(y.size(2) / 2), wo(y.size(3) / 2) {}
};

// The output gradient as the loops read it, plane by plane: NCHW, or constant over each plane (the
// gradient of a mean over positions, expanded); any other layout (a transposed view) is copied
// once rather than read across planes.
torch::Tensor plane_readable(const torch::Tensor& g) {
  if (g.stride(3) == 0 && g.stride(2) == 0) return g;
  return g.contiguous();
}

// Element (n, c, i, j) of a 4-d tensor by its strides.
struct Strided {
  const float* data;
  int64_t s0, s1, s2, s3;
  explicit Strided(const torch::Tensor& t)
      : data(t.data_ptr<float>()), s0(t.stride(0)), s1(t.stride(1)), s2(t.stride(2)), s3(t.stride(3)) {
    if (t.is_contiguous()) {  // the canonical strides (a size-1 dimension's stride can be anything)
      s3 = 1;
      s2 = t.size(3);
      s1 = s2 * t.size(2);
      s0 = s1 * t.size(1);
    }
  }
  float at(int64_t n, int64_t c, int64_t i, int64_t j) const { return data[n * s0 + c * s1 + i * s2 + j * s3]; }
  // A plane_readable() tensor's plane (n, c): position q = i W + j is at plane(n, c)[q * s3].
  const float* plane(int64_t n, int64_t c) const { return data + n * s0 + c * s1; }
};

// Accumulator lanes of the reductions.
constexpr int kLanes = 8;

// The gradient through the ReLU: g where the output passed, else 0. Both values are loaded
// unconditionally, so that this is a select, not a branch the predictor misses half the time.
inline float masked(float out, float g) { return out > 0 ? g : 0.0f; }

torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

// The ATen-operator path (CUDA, other dtypes): the same quantities, one operator at a time.
torch::Tensor routed_gradient(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                              int64_t height, int64_t width, bool pool) {
  torch::Tensor g = g_out * out.gt(0);
  if (!pool) return g;
  int64_t n = g.size(0), c = g.size(1), h = g.size(2), w = g.size(3);
  torch::Tensor routed = torch::zeros({n, c, h, 2, w, 2}, g.options());
  for (int64_t dy = 0; dy < 2; ++dy)
    for (int64_t dx = 0; dx < 2; ++dx) routed.select(5, dx).select(3, dy).copy_(g * code.eq(dy * 2 + dx));
  routed = routed.view({n, c, 2 * h, 2 * w});
  if (height == 2 * h && width == 2 * w) return routed;
  return torch::constant_pad_nd(routed, {0, width - 2 * w, 0, height - 2 * h});
}

}  // namespace

bool supported(const torch::Tensor& y) {
  return y.device().is_cpu() && y.scalar_type() == torch::kFloat && y.is_contiguous() && y.dim() == 4;
}

namespace {

// Whether the two backward passes can run as loops (else the ATen-operator path).
bool backward_loops_apply(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                          const torch::Tensor& y, bool pool) {
  return supported(y) && out.is_contiguous() && (!pool || code.is_contiguous()) && g_out.dim() == 4 &&
         g_out.scalar_type() == torch::kFloat;
}

}  // namespace

void accumulate_moments(const torch::Tensor& y, torch::Tensor& acc) {
  RECORD_FUNCTION("dcl::bn_relu_pool::accumulate_moments", std::vector<c10::IValue>());  // named in dcl bench --profile
  if (!acc.defined()) {
    acc = torch::zeros({3, y.size(1)}, y.options().dtype(torch::kDouble));
    acc[2].copy_(y[0].flatten(1).select(1, 0));  // the shift: each channel's first value
  }
  if (!supported(y)) {
    torch::Tensor d = y.to(torch::kDouble) - acc[2].view({1, -1, 1, 1});
    acc[0] += d.sum({0, 2, 3});
    acc[1] += d.square().sum({0, 2, 3});
    return;
  }
  Dims d(y);
  const float* py = y.data_ptr<float>();
  double* pa = acc.data_ptr<double>();
  const int64_t plane = d.h * d.w;
  at::parallel_for(0, d.c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double shift = pa[2 * d.c + c];  // exactly a float: a value of y
      double s = 0, s2 = 0;
      for (int64_t n = 0; n < d.n; ++n) {
        const float* p = py + (n * d.c + c) * plane;
        // Independent float lanes within a plane (one running sum would be one long chain of
        // dependent additions), double across planes; shifted, so float keeps the precision.
        const float fshift = float(shift);
        float ls[kLanes] = {}, ls2[kLanes] = {};
        int64_t k = 0;
        for (; k + kLanes <= plane; k += kLanes)
          for (int l = 0; l < kLanes; ++l) {
            const float v = p[k + l] - fshift;
            ls[l] += v;
            ls2[l] += v * v;
          }
        for (; k < plane; ++k) {
          const float v = p[k] - fshift;
          ls[0] += v;
          ls2[0] += v * v;
        }
        for (int l = 0; l < kLanes; ++l) {
          s += ls[l];
          s2 += ls2[l];
        }
      }
      pa[c] += s;
      pa[d.c + c] += s2;
    }
  });
}

std::pair<torch::Tensor, torch::Tensor> moments(const torch::Tensor& acc, int64_t count) {
  torch::Tensor m = acc[0] / double(count);
  torch::Tensor var = (acc[1] / double(count) - m.square()).clamp_min(0);
  return {(acc[2] + m).to(torch::kFloat), var.to(torch::kFloat)};
}

void normalize_relu(const torch::Tensor& y, const torch::Tensor& scale, const torch::Tensor& shift,
                    torch::Tensor out) {
  RECORD_FUNCTION("dcl::bn_relu_pool::normalize_relu", std::vector<c10::IValue>());  // named in dcl bench --profile
  if (!supported(y) || !out.is_contiguous()) {
    out.copy_((y * per_channel(scale) + per_channel(shift)).relu_());
    return;
  }
  Dims d(y);
  const float *py = y.data_ptr<float>(), *sc = scale.data_ptr<float>(), *sh = shift.data_ptr<float>();
  float* po = out.data_ptr<float>();
  const int64_t plane = d.h * d.w;
  at::parallel_for(0, d.n * d.c, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float a = sc[p % d.c], b = sh[p % d.c];
      const float* src = py + p * plane;
      float* dst = po + p * plane;
      for (int64_t k = 0; k < plane; ++k) dst[k] = std::max(src[k] * a + b, 0.0f);
    }
  });
}

void normalize_relu_pool(const torch::Tensor& y, const torch::Tensor& scale, const torch::Tensor& shift,
                         torch::Tensor out, torch::Tensor code) {
  RECORD_FUNCTION("dcl::bn_relu_pool::normalize_relu_pool", std::vector<c10::IValue>());  // named in dcl bench --profile
  if (!supported(y) || !out.is_contiguous() || !code.is_contiguous()) {
    torch::Tensor z = (y * per_channel(scale) + per_channel(shift)).relu_();
    auto [p, idx] = at::max_pool2d_with_indices(z, {2, 2}, {2, 2});
    out.copy_(p);
    torch::Tensor col = idx.remainder(y.size(3)).remainder_(2);
    code.copy_(idx.div_(y.size(3), "floor").remainder_(2).mul_(2).add_(col));
    return;
  }
  Dims d(y);
  const float *py = y.data_ptr<float>(), *sc = scale.data_ptr<float>(), *sh = shift.data_ptr<float>();
  float* po = out.data_ptr<float>();
  uint8_t* pc = code.data_ptr<uint8_t>();
  at::parallel_for(0, d.n * d.c, 1, [&](int64_t p0, int64_t p1) {
    // A row pair normalised first (a loop the compiler vectorises), then pooled from there: the
    // two together in one loop ran 4x slower.
    std::vector<float> rows(2 * d.w);
    float *z0 = rows.data(), *z1 = z0 + d.w;
    for (int64_t p = p0; p < p1; ++p) {
      const float a = sc[p % d.c], b = sh[p % d.c];
      const float* src = py + p * d.h * d.w;
      for (int64_t i = 0; i < d.ho; ++i) {
        const float* r0 = src + 2 * i * d.w;
        const float* r1 = r0 + d.w;
        for (int64_t q = 0; q < 2 * d.wo; ++q) {
          z0[q] = std::max(r0[q] * a + b, 0.0f);
          z1[q] = std::max(r1[q] * a + b, 0.0f);
        }
        float* o = po + (p * d.ho + i) * d.wo;
        uint8_t* k = pc + (p * d.ho + i) * d.wo;
        for (int64_t j = 0; j < d.wo; ++j) {
          // Strict '>' in scan order (top left, top right, bottom left, bottom right), as
          // max_pool2d: the first maximum wins. Selects, not branches.
          const float v0 = z0[2 * j], v1 = z0[2 * j + 1], v2 = z1[2 * j], v3 = z1[2 * j + 1];
          const bool right_top = v1 > v0, right_bottom = v3 > v2;
          const float top = right_top ? v1 : v0, bottom = right_bottom ? v3 : v2;
          const bool lower = bottom > top;
          o[j] = lower ? bottom : top;
          k[j] = uint8_t(lower ? 2 + right_bottom : right_top);
        }
      }
    }
  });
}

void accumulate_grad_sums(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                          const torch::Tensor& y, bool pool, torch::Tensor& sums) {
  RECORD_FUNCTION("dcl::bn_relu_pool::accumulate_grad_sums", std::vector<c10::IValue>());  // named in dcl bench --profile
  if (!sums.defined()) sums = torch::zeros({2, y.size(1)}, y.options().dtype(torch::kDouble));
  if (!backward_loops_apply(g_out, out, code, y, pool)) {
    torch::Tensor g = routed_gradient(g_out, out, code, y.size(2), y.size(3), pool);
    sums[0] += g.sum({0, 2, 3}).to(torch::kDouble);
    sums[1] += (g * y).sum({0, 2, 3}).to(torch::kDouble);
    return;
  }
  Dims d(y);
  torch::Tensor g_planes = plane_readable(g_out);
  Strided g(g_planes);
  const float *py = y.data_ptr<float>(), *po = out.data_ptr<float>();
  const uint8_t* pc = pool ? code.data_ptr<uint8_t>() : nullptr;
  double* ps = sums.data_ptr<double>();
  const int64_t oh = d.ho, ow = d.wo;  // the pooled plane
  at::parallel_for(0, d.c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0, sy = 0;
      for (int64_t n = 0; n < d.n; ++n) {
        const int64_t plane = n * d.c + c;
        const float* yp = py + plane * d.h * d.w;
        if (!pool) {  // every position; float lanes within a plane, double across planes
          const float *op = po + plane * d.h * d.w, *gp = g.plane(n, c);
          float ls[kLanes] = {}, lsy[kLanes] = {};
          // One loop per layout of g (contiguous plane, or one value per plane), so that each
          // has a fixed stride the compiler can vectorise.
          auto run = [&](auto g_at) {
            int64_t q = 0;
            auto add = [&](int64_t at, int l) {
              const float gv = masked(op[at], g_at(at));
              ls[l] += gv;
              lsy[l] += gv * yp[at];
            };
            for (; q + kLanes <= d.h * d.w; q += kLanes)
              for (int l = 0; l < kLanes; ++l) add(q + l, l);
            for (; q < d.h * d.w; ++q) add(q, 0);
          };
          if (g.s3 == 0)
            run([gv = gp[0]](int64_t) { return gv; });
          else
            run([gp](int64_t at) { return gp[at]; });
          for (int l = 0; l < kLanes; ++l) {
            s += ls[l];
            sy += lsy[l];
          }
          continue;
        }
        float ps_ = 0, psy = 0;  // float within a plane, double across planes
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j) {
            const int64_t o = (plane * oh + i) * ow + j;
            const float gv = masked(po[o], g.at(n, c, i, j));
            const int64_t yi = 2 * i + pc[o] / 2, yj = 2 * j + pc[o] % 2;
            ps_ += gv;
            psy += gv * yp[yi * d.w + yj];
          }
        s += ps_;
        sy += psy;
      }
      ps[c] += s;
      ps[d.c + c] += sy;
    }
  });
}

torch::Tensor grad_at_conv(const torch::Tensor& g_out, const torch::Tensor& out, const torch::Tensor& code,
                           const torch::Tensor& y, bool pool, const torch::Tensor& k, const torch::Tensor& c,
                           const torch::Tensor& offset) {
  RECORD_FUNCTION("dcl::bn_relu_pool::grad_at_conv", std::vector<c10::IValue>());  // named in dcl bench --profile
  if (!backward_loops_apply(g_out, out, code, y, pool)) {
    torch::Tensor g = routed_gradient(g_out, out, code, y.size(2), y.size(3), pool).contiguous();
    return g.addcmul_(y, per_channel(c), -1.0).sub_(per_channel(offset)).mul_(per_channel(k));
  }
  Dims d(y);
  torch::Tensor g_planes = plane_readable(g_out);
  Strided g(g_planes);
  torch::Tensor dy = torch::empty_like(y);
  const float *py = y.data_ptr<float>(), *po = out.data_ptr<float>(), *pk = k.data_ptr<float>(),
              *pcc = c.data_ptr<float>(), *poff = offset.data_ptr<float>();
  const uint8_t* pc = pool ? code.data_ptr<uint8_t>() : nullptr;
  float* pd = dy.data_ptr<float>();
  const int64_t oh = d.ho, ow = d.wo;
  at::parallel_for(0, d.n * d.c, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / d.c, ch = p % d.c;
      // dy = k (g - c y - offset) = a y + b + k g, with g non-zero only where the output passed.
      const float kk = pk[ch], a = -kk * pcc[ch], b = -kk * poff[ch];
      const float* yp = py + p * d.h * d.w;
      float* dp = pd + p * d.h * d.w;
      if (!pool) {  // every position, branch-free
        const float *op = po + p * d.h * d.w, *gp = g.plane(n, ch);
        if (g.s3 == 0) {
          const float kg = kk * gp[0];
          for (int64_t q = 0; q < d.h * d.w; ++q) dp[q] = a * yp[q] + b + masked(op[q], kg);
        } else {
          for (int64_t q = 0; q < d.h * d.w; ++q) dp[q] = a * yp[q] + b + kk * masked(op[q], gp[q]);
        }
        continue;
      }
      for (int64_t q = 0; q < d.h * d.w; ++q) dp[q] = a * yp[q] + b;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t o = (p * oh + i) * ow + j;
          const int64_t yi = 2 * i + pc[o] / 2, yj = 2 * j + pc[o] % 2;
          dp[yi * d.w + yj] += kk * masked(po[o], g.at(n, ch, i, j));
        }
    }
  });
  return dy;
}

}  // namespace dcl::bn_relu_pool
