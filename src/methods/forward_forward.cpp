// Forward-Forward (Hinton 2022) and SymBa (Lee & Song 2023), spec section 5; the equations are in
// losses/goodness.h.
//
// Every block learns to give high goodness to a positive input (the image with its true label
// written in) and low goodness to a negative one (the same image with a wrong label), from its own
// detached, length-normalised input. The positives and negatives run as one batch of 2N samples
// (the input encoder below), so each block updates once per batch. Negative labels: uniformly
// random wrong ones, or (--ff-negatives hardest) the wrong label the model currently scores
// highest, as in Hinton's reference code.
// Prediction: argmax_z Σ_{l >= first} g_l(overlay(x, z)), all Z labels in one batched forward
// (chunked by label when Z * N is large). Hinton sums from the second hidden layer on; the fc net
// has only two hidden blocks, so every block counts by default (--ff-first-scoring-block).
// The network's classifier head is neither trained nor used.
#include <algorithm>
#include <limits>

#include "dcl/losses/goodness.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

// Summed goodness [N, Z] of every label written into x.
class GoodnessReadout : public Readout {
 public:
  GoodnessReadout(std::vector<std::shared_ptr<Stage>> stages, int classes, int first_scoring)
      : stages_(std::move(stages)), classes_(classes), first_scoring_(first_scoring) {}

  Prediction predict(const torch::Tensor& x) override {
    torch::NoGradGuard no_grad;
    const int64_t n = x.size(0), z = classes_;
    // Rows of the replicated batch are label-major: row k*N + i holds sample i with label k.
    // Chunks of labels keep the replicated batch near 8192 samples (conv nets).
    int64_t per_chunk = std::max<int64_t>(1, std::min<int64_t>(z, 8192 / std::max<int64_t>(1, n)));
    std::vector<torch::Tensor> columns;
    for (int64_t k0 = 0; k0 < z; k0 += per_chunk) {
      int64_t k = std::min(per_chunk, z - k0);
      auto options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
      torch::Tensor labels = torch::arange(k0, k0 + k, options).repeat_interleave(n);
      std::vector<int64_t> reps(size_t(x.dim()), 1);
      reps[0] = k;
      torch::Tensor h = overlay_label(x.repeat(reps), labels, classes_);
      torch::Tensor total = torch::zeros({h.size(0)}, x.options());
      for (size_t l = 0; l < stages_.size(); ++l) {
        h = stages_[l]->forward(h);
        if (int(l) >= first_scoring_) total += goodness(h);
      }
      columns.push_back(total.view({k, n}).t());
    }
    return {torch::cat(columns, 1), {}};
  }

 private:
  std::vector<std::shared_ptr<Stage>> stages_;
  int classes_, first_scoring_;
};

void build(Model& m, const BuildContext& ctx, GoodnessRule rule) {
  const ForwardForwardSettings& s = ctx.settings.ff;
  if (s.first_scoring_block >= int(m.net->blocks.size()))
    throw std::invalid_argument("--ff-first-scoring-block " + std::to_string(s.first_scoring_block) +
                                ": the network has only " + std::to_string(m.net->blocks.size()) + " blocks");
  double parameter = rule == GoodnessRule::FF ? s.threshold : s.symba_alpha;
  for (size_t l = 0; l < m.net->blocks.size(); ++l) {
    torch::nn::Sequential block = m.net->blocks[l];
    StageBlock normalised{block.ptr(),
                          [block](const torch::Tensor& x) mutable { return block->forward(normalise_length(x)); }};
    ctx.add_stage(m, "block" + std::to_string(l), StageKind::Block, normalised,
                  std::make_shared<GoodnessLoss>(rule, parameter));
  }
  auto readout = std::make_shared<GoodnessReadout>(m.stages, ctx.classes, s.first_scoring_block);
  int classes = ctx.classes;
  bool hardest = s.negatives == NegativeLabels::Hardest;
  auto encoder = [readout, classes, hardest](const torch::Tensor& x, const torch::Tensor& y) {
    torch::Tensor negatives;
    if (hardest) {
      torch::Tensor scores = readout->predict(x).scores.clone();
      scores.scatter_(1, y.unsqueeze(1), -std::numeric_limits<double>::infinity());
      negatives = scores.argmax(1);
    } else {
      negatives = wrong_labels(y, classes);
    }
    return torch::cat({overlay_label(x, y, classes), overlay_label(x, negatives, classes)});
  };
  m.schedule = std::make_unique<SequentialSchedule>(m.stages, encoder);
  m.readout = std::make_unique<GoodnessReadout>(*readout);
}

}  // namespace

MethodInfo method_ff() {
  return {"ff",
          "Forward-Forward (Hinton 2022): goodness of label-embedded inputs, local updates",
          {"ff_threshold", "ff_negatives", "ff_first_scoring_block"},
          [](Model& m, const BuildContext& ctx) { build(m, ctx, GoodnessRule::FF); }};
}

MethodInfo method_symba() {
  return {
      "symba",
      "SymBa (Lee & Song 2023): Forward-Forward with the symmetric loss softplus(-alpha (g_pos - g_neg)), alpha = 4",
      {"symba_alpha", "ff_negatives", "ff_first_scoring_block"},
      [](Model& m, const BuildContext& ctx) { build(m, ctx, GoodnessRule::SymBa); }};
}

}  // namespace dcl
