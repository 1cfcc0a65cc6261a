#include "dcl/core/pff.h"

#include <stdexcept>

#include "dcl/core/ff.h"
#include "dcl/core/method.h"

namespace dcl {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {

// relu whose gradient is 1 everywhere, as the reference's: units pushed below zero by the
// (inverted) goodness loss can still come back.
torch::Tensor pass_through_relu(const torch::Tensor& a) { return a + (torch::relu(a) - a).detach(); }

nn::Linear linear(int64_t in, int64_t out, bool bias = false) { return nn::Linear(nn::LinearOptions(in, out).bias(bias)); }

nn::LinearImpl* block_linear(nn::Sequential& block) {
  for (auto& m : *block)
    if (auto* l = m.ptr()->as<nn::LinearImpl>()) return l;
  return nullptr;
}

}  // namespace

PffCircuit::PffCircuit(const PffOptions& o, int64_t input_dim, const std::vector<int64_t>& widths) {
  size_t n = widths.size();
  for (size_t l = 0; l < n; ++l) {
    int64_t from = l + 1 < n ? widths[l + 1] : o.classes;  // the top block hears the label
    top_down.push_back(register_module("top_down" + std::to_string(l), linear(from, widths[l])));
    // Orthogonal, as the reference: the default init would let the label context (s_y = 5)
    // swamp the bottom-up drive of the top block.
    torch::NoGradGuard no_grad;
    nn::init::orthogonal_(top_down.back()->weight);
  }
  generate_top = register_module("generate_top", linear(o.latent, widths.back()));
  for (size_t l = 0; l < n; ++l) {
    int64_t to = l == 0 ? input_dim : widths[l - 1];
    generate.push_back(register_module("generate" + std::to_string(l), linear(widths[l], to)));
  }
}

torch::Tensor PffCircuit::loss(int, const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error("pff has no single-block loss: it trains through its settling loop (PffLearner)");
}

std::vector<torch::Tensor> PffCircuit::generative_parameters() {
  std::vector<torch::Tensor> p = generate_top->parameters();
  for (auto& g : generate)
    for (auto& t : g->parameters()) p.push_back(t);
  return p;
}

torch::Tensor pff_goodness_loss(const torch::Tensor& z, int64_t positives, double threshold) {
  torch::Tensor g = goodness(z);
  torch::Tensor pos = F::softplus(g.narrow(0, 0, positives) - threshold);
  torch::Tensor neg = F::softplus(threshold - g.narrow(0, positives, g.size(0) - positives));
  return torch::cat({pos, neg}).mean();
}

PffLearner::PffLearner(Network net, std::shared_ptr<PffCircuit> circuit, const RunConfig& cfg, const PffOptions& options)
    : Learner(net), circuit_(std::move(circuit)), options_(options) {
  // One optimiser per block over its own synapses and its top-down V_l; the head; the
  // generative circuit.
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    std::vector<torch::Tensor> params = net_->blocks[l]->parameters();
    for (auto& p : circuit_->top_down[l]->parameters()) params.push_back(p);
    optimizers.push_back(make_optimizer(cfg, params));
  }
  optimizers.push_back(make_optimizer(cfg, net_->head->parameters()));
  optimizers.push_back(make_optimizer(cfg, circuit_->generative_parameters()));
}

torch::Tensor PffLearner::pre_activation(size_t l, const torch::Tensor& input) {
  torch::Tensor h = input;
  for (auto& m : *net_->blocks[l]) {
    if (m.ptr()->as<nn::ReLUImpl>()) return h;
    h = m.forward(h);
  }
  throw std::logic_error("pff: block " + std::to_string(l) + " has no ReLU");
}

std::vector<torch::Tensor> PffLearner::feedforward(const torch::Tensor& x) {
  std::vector<torch::Tensor> z;
  torch::Tensor h = x;
  for (size_t l = 0; l < net_->blocks.size(); ++l) {
    h = torch::relu(pre_activation(l, normalise_length(h)));
    z.push_back(h);
  }
  return z;
}

double PffLearner::update_generator(const torch::Tensor& x, const std::vector<torch::Tensor>& z, torch::Tensor& latent) {
  size_t top = z.size() - 1;
  auto noisy = [&](const torch::Tensor& t) {
    return normalise_length(torch::relu(t + options_.gen_noise * torch::randn_like(t)));
  };
  auto error = [](const torch::Tensor& pred, const torch::Tensor& target) { return (pred - target).pow(2).sum(1).mean(); };
  latent.requires_grad_(true);
  torch::Tensor top_error =
      error(pass_through_relu(circuit_->generate_top->forward(normalise_length(torch::relu(latent)))), z[top]);
  torch::Tensor loss = top_error;
  for (size_t l = top; l >= 1; --l)
    loss = loss + error(pass_through_relu(circuit_->generate[l]->forward(noisy(z[l]))), z[l - 1]);
  loss = loss + error(circuit_->generate[0]->forward(noisy(z[0])), x.reshape({x.size(0), -1}));
  auto& opt = *optimizers.back();
  opt.zero_grad();
  loss.backward();
  opt.step();
  // The latent descends its own prediction error (only the top term depends on it).
  latent = (latent - options_.latent_rate * latent.grad()).detach();
  return loss.item<double>();
}

StepResult PffLearner::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t n = x.size(0);
  const size_t blocks = net_->blocks.size();
  torch::Tensor images = torch::cat({x, x}).detach();
  torch::Tensor context =
      options_.label_scale * F::one_hot(torch::cat({y, wrong_labels(y, options_.classes)}), options_.classes).to(x.dtype());
  torch::Tensor inputs = normalise_length(images);
  std::vector<torch::Tensor> z;
  {
    torch::NoGradGuard no_grad;
    z = feedforward(images);
  }
  // The head reads the label-free feedforward state, as at test time (the settled states carry
  // the label context, which it would learn to copy).
  torch::Tensor head_input = normalise_length(z[blocks - 1].narrow(0, 0, n));
  torch::Tensor latent = torch::zeros({n, options_.latent}, x.options());
  StepResult r;
  r.block_losses.assign(blocks, 0.0);
  for (int t = 0; t < options_.steps; ++t) {
    // Every input below is a state of step t-1 (detached): no gradient crosses a block.
    std::vector<torch::Tensor> next(blocks), losses;
    for (size_t l = 0; l < blocks; ++l) {
      torch::Tensor below = l == 0 ? inputs : normalise_length(z[l - 1]);
      torch::Tensor above = l + 1 < blocks ? normalise_length(z[l + 1]) : context;
      torch::Tensor a = pre_activation(l, below) + circuit_->top_down[l]->forward(above);
      a = a + options_.rep_noise * torch::randn_like(a);
      next[l] = (1 - options_.damping) * pass_through_relu(a) + options_.damping * z[l];
      losses.push_back(pff_goodness_loss(next[l], n, options_.threshold));
    }
    torch::Tensor logits = net_->head->forward(head_input);
    torch::Tensor head_loss = F::cross_entropy(logits, y);
    torch::Tensor total = head_loss;
    for (size_t l = 0; l < blocks; ++l) {
      double v = losses[l].item<double>();
      check_finite(v, "block " + std::to_string(l));
      r.block_losses[l] = v;
      total = total + losses[l];
    }
    r.head_loss = head_loss.item<double>();
    check_finite(r.head_loss, "the classifier head");
    // The losses share no parameters, so one backward gives every optimiser its own gradient.
    for (size_t i = 0; i + 1 < optimizers.size(); ++i) optimizers[i]->zero_grad();
    total.backward();
    for (size_t i = 0; i + 1 < optimizers.size(); ++i) optimizers[i]->step();
    if (t + 1 == options_.steps) r.head_correct = logits.argmax(1).eq(y).sum().item<int64_t>();
    for (size_t l = 0; l < blocks; ++l) z[l] = next[l].detach();
    std::vector<torch::Tensor> positives;
    for (auto& s : z) positives.push_back(s.narrow(0, 0, n));
    check_finite(update_generator(x, positives, latent), "the generative circuit");
  }
  for (auto& opt : optimizers)
    for (auto& group : opt->param_groups())
      for (auto& p : group.params()) p.mutable_grad().reset();
  return r;
}

torch::Tensor PffLearner::predict(const torch::Tensor& x, const std::vector<torch::Tensor>&) {
  torch::NoGradGuard no_grad;
  return net_->head->forward(normalise_length(feedforward(x).back()));
}

void build_pff(Model& m, const RunConfig& cfg, int classes) {
  if (m.net->arch != "fc")
    throw std::invalid_argument("pff supports --arch fc only: its settling loop needs top-down pathways between "
                                "fully connected blocks (arch '" + m.net->arch + "' is not supported)");
  PffOptions o;
  o.classes = classes;
  std::vector<int64_t> widths;
  int64_t input_dim = 0;
  for (size_t l = 0; l < m.net->blocks.size(); ++l) {
    nn::LinearImpl* lin = block_linear(m.net->blocks[l]);
    if (!lin) throw std::invalid_argument("pff: block " + std::to_string(l) + " has no linear layer");
    if (l == 0) input_dim = lin->options.in_features();
    widths.push_back(lin->options.out_features());
  }
  auto circuit = std::make_shared<PffCircuit>(o, input_dim, widths);
  m.objective = circuit;
  m.learner = std::make_unique<PffLearner>(m.net, circuit, cfg, o);
}

}  // namespace dcl
