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
//   z_l(0)  = the plain feedforward pass;  norm = unit-RMS normalisation (losses/goodness.h), or
//             with --pff-sum-goodness unit length, h / ||h||_2, as the reference's `normalize`.
// Each block l with its V_l is one stage (PffLayer); at every settling step each stage updates
// on inputs from step t-1 only (detached), packed as [below, above, z_l(t-1)]:
//   L_l = the PFF goodness loss (losses/goodness.h): positives below θ, negatives (the same
//   images with a wrong random label context) above it; θ = 1 on the mean squared activation
//   (the reference's θ = 3 on the sum over 2000 units sits about 6x above the goodness of its
//   initial activity; θ = 1 on the mean does the same for ours). --pff-sum-goodness takes the
//   reference's scale instead: θ on Σ z² of unit-length inputs (its run script: θ = 10).
// Classifier head (PFF's softmax layer), a stage updated at every settling step:
//   CE(head(norm(z_L(0))), y) on the positives. It reads the label-free feedforward state z_L(0),
//   which is what it sees at test time; the reference reads z_L(t-1), which carries the label.
// Generative circuit (a stage of its own, positives only; its block outputs prediction errors):
//   ẑ_L   = relu(G_top norm(relu(z_g))),   z_g ∈ R^20 a per-batch latent, z_g(0) = 0
//   ẑ_{l-1} = relu(G_l norm(relu(z_l + ε_g))),   x̂ = G_0 norm(relu(z_0 + ε_g)),   ε_g ~ N(0, 0.025²)
//   L_gen = mean_n [ |ẑ_L - z_L|² + Σ_l |ẑ_{l-1} - z_{l-1}|² + |x̂ - x|² ]  (targets detached)
//   z_g ← z_g - β ∂|ẑ_L - z_L|²/∂z_g,  β = 0.025 (predictive-coding inference of the latent).
//   x̂ is linear (the reference clips to [0, 1]; our inputs are standardised).
// Prediction: the feedforward pass and the classifier head (PFF's softmax output), no settling.
// Left out for brevity: the learned lateral competition matrices and gradient clipping.
#include "dcl/losses/goodness.h"
#include "dcl/methods/method.h"

namespace dcl {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {

constexpr double kRepresentationNoise = 0.01;
constexpr double kGenerativeNoise = 0.025;
constexpr int kLatent = 20;

// relu whose gradient is 1 everywhere, as the reference's: units pushed below zero by the
// (inverted) goodness loss can still come back.
torch::Tensor pass_through_relu(const torch::Tensor& a) { return a + (torch::relu(a) - a).detach(); }

nn::Linear linear(int64_t in, int64_t out) { return nn::Linear(nn::LinearOptions(in, out).bias(false)); }

// What every layer reads of another: unit RMS (ours), or unit length, h / ||h||_2, as the
// reference's `normalize` (pff_rnn.py) with --pff-sum-goodness.
torch::Tensor normalised(const torch::Tensor& h, bool unit_length) {
  if (!unit_length) return normalise_length(h);
  torch::Tensor flat = h.reshape({h.size(0), -1});
  return (flat / (flat.norm(2, 1, true) + 1e-8)).view(h.sizes());
}

// Block l with its top-down synapses V_l. Input [2N, below + above + width] -> z_l(t) [2N, width].
class PffLayerImpl : public nn::Module {
 public:
  PffLayerImpl(nn::Sequential block, int64_t below, int64_t above, int64_t width, double damping)
      : block(register_module("block", block)),
        top_down(register_module("top_down", linear(above, width))),
        below_(below),
        above_(above),
        width_(width),
        damping_(damping) {
    // Orthogonal, as the reference: the default init would let the label context (s_y = 5)
    // swamp the bottom-up drive of the top block.
    torch::NoGradGuard no_grad;
    nn::init::orthogonal_(top_down->weight);
  }

  // Block l up to its ReLU.
  torch::Tensor pre_activation(const torch::Tensor& input) {
    torch::Tensor h = input;
    for (auto& m : *block) {
      if (m.ptr()->as<nn::ReLUImpl>()) return h;
      h = m.forward(h);
    }
    throw std::logic_error("pff: a block has no ReLU");
  }

  torch::Tensor forward(const torch::Tensor& packed) {
    torch::Tensor below = packed.narrow(1, 0, below_), above = packed.narrow(1, below_, above_);
    torch::Tensor previous = packed.narrow(1, below_ + above_, width_);
    torch::Tensor a = pre_activation(below) + top_down->forward(above);
    a = a + kRepresentationNoise * torch::randn_like(a);
    return (1 - damping_) * pass_through_relu(a) + damping_ * previous;
  }

  nn::Sequential block;
  nn::Linear top_down;

 private:
  int64_t below_, above_, width_;
  double damping_;
};
TORCH_MODULE(PffLayer);

// The top-down generative circuit. Input [N, latent + Σ widths + input] = [z_g, z_L..z_0, x];
// output: its prediction errors [ẑ_L - z_L, ..., ẑ_0 - z_0, x̂ - x].
class PffGeneratorImpl : public nn::Module {
 public:
  PffGeneratorImpl(int64_t input_dim, const std::vector<int64_t>& widths, bool unit_length)
      : widths_(widths), input_(input_dim), unit_length_(unit_length) {
    generate_top = register_module("generate_top", linear(kLatent, widths.back()));
    for (size_t l = 0; l < widths.size(); ++l)
      generate.push_back(
          register_module("generate" + std::to_string(l), linear(widths[l], l ? widths[l - 1] : input_dim)));
  }

  torch::Tensor top_prediction(const torch::Tensor& latent) {
    return pass_through_relu(generate_top->forward(normalised(torch::relu(latent), unit_length_)));
  }

  torch::Tensor forward(const torch::Tensor& packed) {
    size_t top = widths_.size() - 1;
    std::vector<torch::Tensor> z(widths_.size());
    int64_t at = kLatent;
    for (size_t l = top + 1; l-- > 0;) {
      z[l] = packed.narrow(1, at, widths_[l]);
      at += widths_[l];
    }
    torch::Tensor x = packed.narrow(1, at, input_);
    auto noisy = [this](const torch::Tensor& t) {
      return normalised(torch::relu(t + kGenerativeNoise * torch::randn_like(t)), unit_length_);
    };
    std::vector<torch::Tensor> errors = {top_prediction(packed.narrow(1, 0, kLatent)) - z[top]};
    for (size_t l = top; l >= 1; --l) errors.push_back(pass_through_relu(generate[l]->forward(noisy(z[l]))) - z[l - 1]);
    errors.push_back(generate[0]->forward(noisy(z[0])) - x);
    return torch::cat(errors, 1);
  }

  nn::Linear generate_top{nullptr};
  std::vector<nn::Linear> generate;

 private:
  std::vector<int64_t> widths_;
  int64_t input_;
  bool unit_length_;
};
TORCH_MODULE(PffGenerator);

// mean_n |e_n|²: the generative circuit's loss on its prediction errors.
class PredictionErrorLoss : public LocalLoss {
 public:
  LossOutput forward(const torch::Tensor& errors, const Target&) override { return {errors.pow(2).sum(1).mean(), {}}; }
};

// The settings of spec section 5, read once from the run's values.
struct PffSettings {
  int steps = 8;               // K settling steps
  double damping = 0.3;        // α
  double threshold = 1.0;      // θ on the mean squared activation (the sum with sum_goodness)
  double label_scale = 5.0;    // s_y
  double latent_rate = 0.025;  // β of the generative latent's inference
  bool sum_goodness = false;   // the reference's scale: θ on Σ z², unit-length inputs
};

const std::vector<Setting> kPffSettings = {
    Setting::integer("pff_steps", 8, "settling steps K per batch").in(1, 1000),
    Setting::real("pff_damping", 0.3, "damping alpha of the settling update").in(0, 1, /*high_open=*/true),
    Setting::real("pff_threshold", 1.0, "goodness threshold on the mean squared activation").at_least(0),
    Setting::real("pff_label_scale", 5.0, "scale s_y of the label context of the top block").at_least(0),
    Setting::real("pff_latent_rate", 0.025, "step beta of the generative latent's inference").at_least(0),
    Setting::on_off("pff_sum_goodness", false,
                    "the reference's goodness scale: the threshold on the sum of squares, every layer's input "
                    "normalised to unit length (false: on the mean square, inputs of unit RMS)")};

struct PffParts {
  std::vector<PffLayer> layers;
  std::vector<std::shared_ptr<Stage>> layer_stages;
  std::shared_ptr<Stage> head, generator_stage;
  PffGenerator generator{nullptr};
  PffSettings settings;
  int classes = 10;

  torch::Tensor normalise(const torch::Tensor& h) const { return normalised(h, settings.sum_goodness); }

  // z(0) for images x: the plain feedforward pass.
  std::vector<torch::Tensor> feedforward(const torch::Tensor& x) {
    std::vector<torch::Tensor> z;
    torch::Tensor h = x.flatten(1);
    for (auto& layer : layers) {
      h = torch::relu(layer->pre_activation(normalise(h)));
      z.push_back(h);
    }
    return z;
  }
};

class PffSchedule : public Schedule {
 public:
  explicit PffSchedule(std::shared_ptr<PffParts> parts) : p_(std::move(parts)) {}

  StepResult step(const torch::Tensor& x, const torch::Tensor& y) override {
    PffParts& p = *p_;
    const int64_t n = x.size(0);
    const size_t blocks = p.layers.size();
    torch::Tensor images = torch::cat({x, x}).flatten(1);
    torch::Tensor context =
        p.settings.label_scale * F::one_hot(torch::cat({y, wrong_labels(y, p.classes)}), p.classes).to(x.dtype());
    torch::Tensor inputs = p.normalise(images);
    std::vector<torch::Tensor> z;
    {
      torch::NoGradGuard no_grad;
      z = p.feedforward(images);
    }
    // The head reads the label-free feedforward state, as at test time.
    torch::Tensor head_input = p.normalise(z[blocks - 1].narrow(0, 0, n));
    torch::Tensor latent = torch::zeros({n, kLatent}, x.options());
    Target target{y, x};
    StepResult r;
    r.block_losses.assign(blocks, 0.0);
    for (int t = 0; t < p.settings.steps; ++t) {
      // Every input below is a state of step t-1: no gradient crosses a block.
      std::vector<torch::Tensor> next(blocks);
      for (size_t l = 0; l < blocks; ++l) {
        torch::Tensor below = l == 0 ? inputs : p.normalise(z[l - 1]);
        torch::Tensor above = l + 1 < blocks ? p.normalise(z[l + 1]) : context;
        StageResult s = p.layer_stages[l]->update(torch::cat({below, above, z[l]}, 1), target);
        next[l] = s.output;
        r.block_losses[l] = s.loss;
      }
      StageResult head = p.head->update(head_input, target);
      r.train_loss = head.loss;
      if (t + 1 == p.settings.steps) r.correct = head.scores.argmax(1).eq(y).sum().item<int64_t>();
      z = next;
      update_generator(x, z, n, latent);
    }
    r.has_accuracy = true;
    return r;
  }

 private:
  void update_generator(const torch::Tensor& x, const std::vector<torch::Tensor>& z, int64_t n, torch::Tensor& latent) {
    PffParts& p = *p_;
    std::vector<torch::Tensor> parts = {latent};
    for (size_t l = z.size(); l-- > 0;) parts.push_back(z[l].narrow(0, 0, n));  // positives only
    parts.push_back(x.flatten(1));
    // The latent descends its own prediction error, measured before the circuit's step.
    torch::Tensor g = latent.detach().requires_grad_(true);
    torch::Tensor top_error = (p.generator->top_prediction(g) - parts[1]).pow(2).sum(1).mean();
    torch::Tensor grad = torch::autograd::grad({top_error}, {g})[0];
    p.generator_stage->update(torch::cat(parts, 1), Target{});
    latent = (latent - p.settings.latent_rate * grad).detach();
  }

  std::shared_ptr<PffParts> p_;
};

class PffReadout : public Readout {
 public:
  explicit PffReadout(std::shared_ptr<PffParts> parts) : p_(std::move(parts)) {}
  Prediction predict(const torch::Tensor& x) override {
    torch::NoGradGuard no_grad;
    return {p_->head->forward(p_->normalise(p_->feedforward(x).back())), {}};
  }

 private:
  std::shared_ptr<PffParts> p_;
};

void build_pff(Model& m, const BuildContext& ctx) {
  auto p = std::make_shared<PffParts>();
  const SettingValues& s = ctx.settings;
  if (m.net->options.activation != "relu")
    throw std::invalid_argument("pff settles ReLU units (the reference's); --activation " + m.net->options.activation +
                                " cannot be used with it");
  p->settings = {s.integer("pff_steps"),    s.real("pff_damping"),     s.real("pff_threshold"),
                 s.real("pff_label_scale"), s.real("pff_latent_rate"), s.on("pff_sum_goodness")};
  p->classes = ctx.classes;
  std::vector<int64_t> widths = m.net->block_output_sizes();
  const InputShape& in = m.net->options.input;
  int64_t input_dim = int64_t(in.channels) * in.height * in.width;
  for (size_t l = 0; l < widths.size(); ++l) {
    int64_t below = l == 0 ? input_dim : widths[l - 1];
    int64_t above = l + 1 < widths.size() ? widths[l + 1] : ctx.classes;  // the top block hears the label
    PffLayer layer(m.net->blocks[l], below, above, widths[l], p->settings.damping);
    p->layers.push_back(layer);
    p->layer_stages.push_back(
        ctx.add_stage(m, "block" + std::to_string(l), StageKind::Block, stage_block(layer),
                      std::make_shared<GoodnessLoss>(
                          p->settings.sum_goodness ? GoodnessRule::PffSum : GoodnessRule::Pff, p->settings.threshold)));
  }
  p->head = ctx.add_stage(m, "head", StageKind::Head, stage_block(m.net->head), std::make_shared<CrossEntropyLoss>());
  p->generator = PffGenerator(input_dim, widths, p->settings.sum_goodness);
  p->generator_stage = ctx.add_stage(m, "generator", StageKind::Auxiliary, stage_block(p->generator),
                                     std::make_shared<PredictionErrorLoss>());
  m.schedule = std::make_unique<PffSchedule>(p);
  m.readout = std::make_unique<PffReadout>(p);
}

// --preset paper: the authors' run script (ago109/predictive-forward-forward src/sim_train.py,
// src/run.sh, for MNIST and K-MNIST): Adam, lr 2.5e-4, no weight decay, batch 500, 60 epochs at a
// constant lr, K = 12 settling steps, two hidden layers of 2000 units. Kept ours: θ = 1 on the mean
// squared activation of unit-RMS inputs (theirs: 10 on the sum over unit-length inputs,
// --pff-sum-goodness --pff-threshold 10, measured worse alone: docs/methods.md).
TrainingSchedule pff_preset(Preset preset, const ArchInfo& arch, const data::DatasetInfo& data) {
  TrainingSchedule s = paper_schedule(arch, data);
  s.optimizer = OptimizerKind::Adam;
  s.lr = 2.5e-4;
  s.weight_decay = 0;
  s.batch = 500;
  s.epochs = 60;
  s.milestones = {};
  s.fc_width = 2000;
  s.settings = {{"pff_steps", 12}};
  s.source = "ago109/predictive-forward-forward src/sim_train.py (Adam 2.5e-4, batch 500, 60 epochs, K 12, 2 x 2000)";
  return preset_form(preset, arch, s);
}

// The settling loop needs top-down pathways between fully connected blocks; the blocks and the
// generator talk to each other within a batch (PffSchedule).
MethodAbilities pff_abilities() {
  MethodAbilities a;
  a.conv_networks = false;
  a.not_pipelined = "its settling loop runs every block together on each batch (a schedule of its own)";
  return a;
}

}  // namespace

MethodInfo method_pff() {
  return {"pff",
          "Predictive Forward-Forward (Ororbia & Mali 2023): FF representation + generative circuit (fc only)",
          kPffSettings,
          build_pff,
          pff_preset,
          pff_abilities()};
}

}  // namespace dcl
