// Direct Random Target Projection (Frenkel, Lefebvre & Bol 2021), spec section 5: each hidden
// block's loss is the linear surrogate whose gradient is the fixed random projection of the
// target (losses/drtp_loss.h); no error crosses a block. The head learns from its own error:
// cross-entropy on its detached input.
#include "dcl/losses/drtp_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

MethodInfo method_drtp() {
  return {"drtp",
          "Direct Random Target Projection: fixed random projection of the target as each block's gradient",
          {"drtp_feedback_scale"},
          [](Model& m, const BuildContext& ctx) {
            auto sizes = m.net->block_output_sizes();
            double scale = ctx.settings.drtp.feedback_scale;
            ctx.add_block_stages(m, [&](size_t l) { return std::make_shared<DrtpLoss>(ctx.classes, sizes[l], scale); });
            ctx.run_sequentially(m);
          }};
}

}  // namespace dcl
