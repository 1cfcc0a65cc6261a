#include "dcl/stages/batch_norm_calibration.h"

namespace dcl {
namespace nn = torch::nn;

namespace {

// BatchNorm1d and 2d keep their options in differently typed modules: one accessor for both.
nn::BatchNormOptions& options_of(torch::nn::Module& m) {
  if (auto* b = m.as<nn::BatchNorm1d>()) return b->options;
  return m.as<nn::BatchNorm2d>()->options;
}

void reset_statistics(torch::nn::Module& m) {
  if (auto* b = m.as<nn::BatchNorm1d>()) return b->reset_running_stats();
  m.as<nn::BatchNorm2d>()->reset_running_stats();
}

// Leaves the stages in evaluation mode and the momenta as they were, however the pass ends.
struct Restore {
  const std::vector<std::shared_ptr<Stage>>& stages;
  const std::vector<std::shared_ptr<torch::nn::Module>>& norms;
  std::vector<c10::optional<double>> momenta;
  ~Restore() {
    for (size_t i = 0; i < norms.size(); ++i) options_of(*norms[i]).momentum(momenta[i]);
    for (auto& s : stages) s->train(false);
  }
};

}  // namespace

std::vector<std::shared_ptr<torch::nn::Module>> batch_norm_modules(torch::nn::Module& module) {
  std::vector<std::shared_ptr<torch::nn::Module>> out;
  for (auto& m : module.modules(/*include_self=*/true))
    if (m->as<nn::BatchNorm1d>() || m->as<nn::BatchNorm2d>()) out.push_back(m);
  return out;
}

int64_t calibrate_batch_norm(const std::vector<std::shared_ptr<Stage>>& stages,
                             const std::function<torch::Tensor()>& next_images) {
  std::vector<std::shared_ptr<torch::nn::Module>> norms;
  for (auto& s : stages)
    for (auto& m : batch_norm_modules(s->block())) norms.push_back(m);
  if (norms.empty()) return 0;
  Restore restore{stages, norms, {}};
  for (auto& m : norms) {
    restore.momenta.push_back(options_of(*m).momentum());
    reset_statistics(*m);
  }
  torch::NoGradGuard no_grad;
  for (auto& s : stages) s->block().train(true);
  int64_t seen = 0;
  for (torch::Tensor x = next_images(); x.defined(); x = next_images()) {
    seen += x.size(0);
    // The first batch replaces the initial estimate; each later one weighs by its share of the images.
    for (auto& m : norms) options_of(*m).momentum(double(x.size(0)) / double(seen));
    for (auto& s : stages) x = s->forward(x);
  }
  return seen;
}

}  // namespace dcl
