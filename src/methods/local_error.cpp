// Nøkland & Eidnes' local error signals (spec section 5): ll-pred, ll-sim, ll-predsim, ll-bpf.
// Each block gets its own LocalErrorLoss (losses/local_error_loss.h); the head learns on the
// detached last block output.
#include "dcl/losses/local_error_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

MethodInfo local_error(const std::string& name, const std::string& description, bool pred, bool sim, bool bpf) {
  std::vector<std::string> settings;
  if (pred && sim) settings = {"ll_beta"};
  return {name, description, settings, [=](Model& m, const BuildContext& ctx) {
            LocalErrorOptions o;
            o.classes = ctx.classes;
            o.pred = pred;
            o.sim = sim;
            o.beta = ctx.settings.local_learning.beta;
            o.backprop_free = bpf;
            ctx.add_block_stages(m,
                                 [&](size_t l) { return std::make_shared<LocalErrorLoss>(o, m.net->output_sizes[l]); });
            ctx.run_sequentially(m);
          }};
}

}  // namespace

MethodInfo method_ll_pred() {
  return local_error("ll-pred", "local learning: linear classifier on the pooled block output (Nokland & Eidnes)", true,
                     false, false);
}

MethodInfo method_ll_sim() {
  return local_error("ll-sim", "local learning: similarity matching through a 3x3 conv (Nokland & Eidnes)", false, true,
                     false);
}

MethodInfo method_ll_predsim() {
  return local_error("ll-predsim", "local learning: (1 - beta) pred + beta sim (Nokland & Eidnes)", true, true, false);
}

MethodInfo method_ll_bpf() {
  return local_error("ll-bpf",
                     "local learning, backprop-free predsim: std similarity, feedback alignment (Nokland & Eidnes)",
                     true, true, true);
}

}  // namespace dcl
