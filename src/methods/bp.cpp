// BP: end-to-end backpropagation, the baseline. One stage over the whole network.
#include "dcl/methods/method.h"

namespace dcl {

MethodInfo method_bp() {
  MethodAbilities abilities;
  abilities.not_pipelined = "it trains one stage (the whole network), so there is nothing to pipeline";
  return {"bp",
          "end-to-end backpropagation (baseline)",
          {},
          [](Model& m, const BuildContext& ctx) {
            ctx.add_stage(m, "network", StageKind::Network, stage_block(m.net), std::make_shared<CrossEntropyLoss>());
            ctx.run_sequentially(m);
          },
          nullptr,
          abilities};
}

}  // namespace dcl
