#pragma once
// Predictive Forward-Forward (Ororbia & Mali 2023, spec section 5), minimal and faithful to the
// authors' reference simulation, for the fc network (conv nets are rejected: every settling step
// would need a top-down transposed-conv pathway and K full passes).
//
// Representation circuit: the network's blocks, run as a recurrent system for K settling steps.
// With z_l(t) the activity of block l, x the image (no label written in), y the label one-hot:
//   a_l(t)  = f_l(norm(z_{l-1}(t-1))) + V_l norm(z_{l+1}(t-1)) + ε,   z_{-1} = x,
//             the top block gets the label instead: V_L (s_y · y),  s_y = 5;  ε ~ N(0, 0.01²)
//   z_l(t)  = (1 - α) relu(a_l(t)) + α z_l(t-1),  α = 0.3 (damping)
//             (f_l = block l up to its ReLU; relu passes gradient 1 everywhere, as the reference)
//   z_l(0)  = the plain feedforward pass;  norm = unit-RMS normalisation (ff.h).
// Local losses at every step t, each on inputs from step t-1 only (detached), so block l's
// parameters (and V_l) learn from block l's loss alone; one optimiser step per settling step:
//   goodness G_l = g_l of ff.h (mean squared activation); positives are driven BELOW θ and
//   negatives above it, as in the reference code (Hinton's "minus the sum of squares" goodness):
//   L_l = mean over the 2N samples of  softplus(G_l - θ) for positives, softplus(θ - G_l) for
//   negatives;  negatives = the same images with a wrong random label context.
//   θ = 1: the reference's θ = 3 on the sum over 2000 units sits about 6x above the goodness of
//   its initial activity; θ = 1 on the mean does the same for ours (about 1/6 at init). The sum
//   would not transfer: our top block starts with a LayerNorm, whose output is not length-free.
//   Classifier head (PFF's softmax layer): CE(head(norm(z_L(0))), y) on the positives, updated at
//   every step. It reads the label-free feedforward state z_L(0), which is what it sees at test
//   time; the reference reads z_L(t-1), which carries the label context from V_L.
// Generative circuit (top-down predictions trained on local prediction errors, positives only):
//   ẑ_L   = relu(G_top norm(relu(z_g))),   z_g ∈ R^20 a per-batch latent, z_g(0) = 0
//   ẑ_{l-1} = relu(G_l norm(relu(z_l + ε_g))),   x̂ = G_0 norm(relu(z_0 + ε_g)),   ε_g ~ N(0, 0.025²)
//   L_gen = mean_n [ |ẑ_L - z_L|² + sum_l |ẑ_{l-1} - z_{l-1}|² + |x̂ - x|² ]  (targets detached)
//   z_g ← z_g - β ∂|ẑ_L - z_L|²/∂z_g,  β = 0.025 (predictive-coding inference of the latent).
//   x̂ is linear (the reference clips to [0, 1]; our inputs are standardised).
// Prediction: the feedforward pass and the classifier head (PFF's softmax output), no settling.
// Left out for brevity: the learned lateral competition matrices and gradient clipping.
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dcl/core/learner.h"
#include "dcl/core/objective.h"
#include "dcl/core/run_config.h"

namespace dcl {

struct PffOptions {
  int classes = 10;
  int steps = 8;             // K settling steps
  double damping = 0.3;      // α
  double threshold = 1.0;    // θ on the mean squared activation
  double label_scale = 5.0;  // s_y
  double rep_noise = 0.01;
  double gen_noise = 0.025;
  int latent = 20;           // size of the generative circuit's top latent z_g
  double latent_rate = 0.025;  // β
};

// The synapses PFF adds to the network: top-down V_l and the generative circuit G. They are
// module parameters, so checkpoints carry them.
class PffCircuit : public LocalObjective {
 public:
  PffCircuit(const PffOptions& options, int64_t input_dim, const std::vector<int64_t>& widths);
  // PFF trains through PffLearner's settling loop; a single-block loss does not exist.
  torch::Tensor loss(int block, const torch::Tensor& h, const torch::Tensor& y) override;
  std::vector<torch::Tensor> generative_parameters();

  std::vector<torch::nn::Linear> top_down;  // V_l: block l+1 -> block l, and label -> top block
  torch::nn::Linear generate_top{nullptr};  // G_top: z_g -> top block
  std::vector<torch::nn::Linear> generate;  // G_l: block l -> block l-1 (G_0: block 0 -> input)
};

// The PFF loss of one block for positives (first half) and negatives (second half).
torch::Tensor pff_goodness_loss(const torch::Tensor& z, int64_t positives, double threshold);

class PffLearner : public Learner {
 public:
  PffLearner(Network net, std::shared_ptr<PffCircuit> circuit, const RunConfig& cfg, const PffOptions& options);
  StepResult train_step(const torch::Tensor& x, const torch::Tensor& y) override;
  torch::Tensor predict(const torch::Tensor& x, const std::vector<torch::Tensor>& block_outputs) override;

 private:
  // Block l up to its ReLU (pre-activation).
  torch::Tensor pre_activation(size_t l, const torch::Tensor& input);
  std::vector<torch::Tensor> feedforward(const torch::Tensor& x);
  double update_generator(const torch::Tensor& x, const std::vector<torch::Tensor>& z, torch::Tensor& latent);

  std::shared_ptr<PffCircuit> circuit_;
  PffOptions options_;
};

// Builds circuit + learner into `m` (throws std::invalid_argument for non-fc networks).
struct Model;
void build_pff(Model& m, const RunConfig& cfg, int classes);

}  // namespace dcl
