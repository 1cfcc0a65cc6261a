// Cascaded Forward (CaFo, Zhao et al. 2023), spec section 5.
//
// The blocks keep their random initial weights and are never updated: their stages are frozen.
// Each block has its own linear predictor trained with cross-entropy (losses/predictor_loss.h).
// Prediction: the sum of the predictors' distributions, ŷ = argmax_z Σ_l softmax(s_l)_z; the
// readout returns log((1/L) Σ_l softmax(s_l)) (mean_distribution), whose argmax is that sum's and
// whose cross-entropy is the averaged distribution's. There is no head stage: the network's
// classifier head stays untrained and unused.
//
// BatchNorm in the frozen blocks: they always run in evaluation mode (running statistics, still
// at their initial mean 0 / variance 1; dropout off). The blocks are then fixed functions: train
// and test features are identical, and nothing about a block (parameters or buffers) ever changes.
// With batch statistics the features would depend on the batch and the predictors would be
// trained on features they never see at test time.
#include "dcl/losses/predictor_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

MethodInfo method_cafo() {
  return {"cafo",
          "Cascaded Forward: frozen random blocks, a linear cross-entropy predictor per block",
          {},
          [](Model& m, const BuildContext& ctx) {
            auto sizes = m.net->block_output_sizes();
            for (size_t l = 0; l < m.net->blocks.size(); ++l)
              ctx.add_stage(m, "block" + std::to_string(l), StageKind::Block, stage_block(m.net->blocks[l]),
                            std::make_shared<PredictorLoss>(ctx.classes, sizes[l]), /*frozen=*/true);
            ctx.run_sequentially(m);
          }};
}

}  // namespace dcl
