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

namespace {

// --preset paper (fc): the authors' CE variant (Graph-ZKY/CaFo README command and block.py
// train_gradient_descent): plain gradient descent on the batch-mean cross-entropy, step 0.01, no
// regularisation, over the whole training set at once (their one batch of 50,000 images; here
// every training image) for 5000 epochs. Conv nets: the DCL paper's schedule (spec section 4) with
// the same optimiser, since the full-batch features of a conv net do not fit in memory. Kept ours:
// LibTorch's default init of the predictors (theirs initialised to ones) and, unless
// --cafo-predictor-bias false, their bias (theirs bias-free).
TrainingSchedule cafo_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = paper_schedule(arch, data);
  s.optimizer = OptimizerKind::Sgd;
  s.lr = 0.01;
  s.momentum = 0;
  s.weight_decay = 0;
  s.dropout = 0;
  const bool fc = arch.family == ArchFamily::Fc;
  if (fc) {
    s.batch = 60000;
    s.epochs = 5000;
    s.milestones = {};
  }
  s.source =
      "Graph-ZKY/CaFo README (--loss CE --num_epochs 5000 --step 0.01) and block.py (full-batch gradient "
      "descent)";
  s = preset_form(preset, arch, s);
  // Quick, fc: 200 full-batch steps, about the time 5 epochs of another method take.
  if (preset == Preset::Quick && fc) s.epochs = 200, s.milestones = {150};
  return s;
}

}  // namespace

MethodInfo method_cafo() {
  return {"cafo",
          "Cascaded Forward: frozen random blocks, a linear cross-entropy predictor per block",
          {Setting::on_off("cafo_predictor_bias", true,
                           "a bias in each block's linear predictor (false: bias-free, as the authors' block.py)")
               .shaping()},
          [](Model& m, const BuildContext& ctx) {
            auto sizes = m.net->block_output_sizes();
            const bool bias = ctx.settings.on("cafo_predictor_bias");
            for (size_t l = 0; l < m.net->blocks.size(); ++l)
              ctx.add_stage(m, "block" + std::to_string(l), StageKind::Block, stage_block(m.net->blocks[l]),
                            std::make_shared<PredictorLoss>(ctx.classes, sizes[l], bias), /*frozen=*/true);
            ctx.run_sequentially(m);
          },
          cafo_preset};
}

}  // namespace dcl
