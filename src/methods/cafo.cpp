// Cascaded Forward (CaFo, Zhao et al. 2023), spec section 5.
//
// The blocks keep their random initial weights and are never updated: their stages are frozen.
// Each block has its own linear predictor trained with cross-entropy (losses/predictor_loss.h).
// Prediction: the sum of the predictors' distributions, ŷ = argmax_z Σ_l softmax(s_l)_z; the
// readout returns log((1/L) Σ_l softmax(s_l)) (mean_distribution), whose argmax is that sum's and
// whose cross-entropy is the averaged distribution's. There is no head stage: the network's
// classifier head stays untrained and unused.
//
// As the authors' code (Graph-ZKY/CaFo block.py, train.py): predictors without a bias whose
// weights start at ones (their train_gradient_descent), and BatchNorm with whole-set statistics.
// Their untrained blocks normalise the whole training set as one batch in training mode; here the
// frozen blocks' BatchNorm statistics are estimated in one pass over the training set before the
// first step (stages/batch_norm_calibration.h), then fixed: train and test features are the same
// function of the image, and nothing about a block changes afterwards.
#include "dcl/losses/predictor_loss.h"
#include "dcl/methods/method.h"
#include "dcl/stages/batch_norm_calibration.h"

namespace dcl {

namespace {

// --preset paper (fc): the authors' CE variant (Graph-ZKY/CaFo README command and block.py
// train_gradient_descent): plain gradient descent on the batch-mean cross-entropy, step 0.01, no
// regularisation, over the whole training set at once (their one batch of 50,000 images; here
// every training image) for 5000 epochs. Conv nets: the DCL paper's schedule (spec section 4) with
// the same optimiser, since the full-batch features of a conv net do not fit in memory.
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
          {Setting::on_off("cafo_predictor_bias", false,
                           "a bias in each block's linear predictor (false: bias-free, as the authors' block.py)")
               .shaping(),
           Setting::on_off("cafo_ones_init", true,
                           "each predictor's weights start at ones, as the authors' block.py (false: LibTorch's "
                           "default init)")},
          [](Model& m, const BuildContext& ctx) {
            auto sizes = m.net->block_output_sizes();
            const bool bias = ctx.settings.on("cafo_predictor_bias"), ones = ctx.settings.on("cafo_ones_init");
            for (size_t l = 0; l < m.net->blocks.size(); ++l)
              ctx.add_stage(m, "block" + std::to_string(l), StageKind::Block, stage_block(m.net->blocks[l]),
                            std::make_shared<PredictorLoss>(ctx.classes, sizes[l], bias, ones), /*frozen=*/true);
            ctx.run_sequentially(m);
            m.prepare = [](Model& model, const std::function<torch::Tensor()>& next_images) {
              int64_t seen = calibrate_batch_norm(model.stages, next_images);
              return seen ? "cafo: the frozen blocks' BatchNorm statistics, from " + std::to_string(seen) +
                                " training images"
                          : std::string();
            };
          },
          cafo_preset};
}

}  // namespace dcl
