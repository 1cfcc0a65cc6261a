#include "dcl/optim/fused_adamw.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <type_traits>

#include "dcl/util/torch_compat.h"

namespace dcl {

namespace {

bool fusable(const torch::Tensor& p) {
  return p.is_cpu() && p.scalar_type() == torch::kFloat && p.is_contiguous() && p.grad().is_contiguous() &&
         p.grad().scalar_type() == torch::kFloat;
}

}  // namespace

torch::Tensor FusedAdamW::step(LossClosure closure) {
  for (auto& group : param_groups_) {
    if (static_cast<torch::optim::AdamWOptions&>(group.options()).amsgrad()) return AdamW::step(closure);
    for (auto& p : group.params())
      if (p.grad().defined() && !fusable(p)) return AdamW::step(closure);
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto key = compat::optimizer_state_key(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->step(0);
        s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state_.emplace(key, std::move(s)).first;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      s.step(s.step() + 1);
      const double bc1 = 1 - std::pow(beta1, double(s.step())), bc2 = 1 - std::pow(beta2, double(s.step()));
      const float decay = float(1 - o.lr() * o.weight_decay()), b1 = float(beta1), b2 = float(beta2);
      const float step_size = float(o.lr() / bc1), inv_sqrt_bc2 = float(1 / std::sqrt(bc2)), eps = float(o.eps());
      float* w = p.data_ptr<float>();
      const float* g = p.grad().data_ptr<float>();
      float* m = s.exp_avg().data_ptr<float>();
      float* v = s.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          float gi = g[i];
          float mi = b1 * m[i] + (1 - b1) * gi;
          float vi = b2 * v[i] + (1 - b2) * gi * gi;
          m[i] = mi;
          v[i] = vi;
          w[i] = w[i] * decay - step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
        }
      });
    }
  }
  return loss;
}

}  // namespace dcl
