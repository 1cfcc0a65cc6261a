#include "dcl/training/evaluator.h"

#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>

#include "dcl/runtime/device.h"

namespace dcl {

nlohmann::json EvalResult::to_json() const {
  nlohmann::json j = {{"samples", samples}, {"loss", loss}, {"head_accuracy", head_accuracy}};
  if (!layer_accuracy.empty()) {
    j["layer_accuracy"] = layer_accuracy;
    j["ensemble_accuracy"] = ensemble_accuracy;
  }
  return j;
}

namespace {

void require_weight_count(const std::vector<double>& weights, size_t blocks) {
  if (!weights.empty() && weights.size() != blocks)
    throw std::invalid_argument("--ensemble-weights has " + std::to_string(weights.size()) +
                                " values but the model has " + std::to_string(blocks) +
                                " blocks with layer-wise scores (give " + std::to_string(blocks) +
                                " values, or none for equal weights)");
}

}  // namespace

void check_ensemble_weights(Model& model, const InputShape& input, const std::vector<double>& weights) {
  if (weights.empty()) return;
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor rng = gen.get_state();
  size_t blocks = 0;
  {
    torch::NoGradGuard no_grad;
    model.train(false);
    blocks = model.readout->predict(torch::zeros({2, input.channels, input.height, input.width})).layer_scores.size();
    model.train(true);
  }
  gen.set_state(rng);
  require_weight_count(weights, blocks);
}

EvalResult evaluate(Model& model, BatchLoader& loader, const torch::Device& device, const std::vector<double>& weights,
                    const SumOverRanks& sum_over_ranks) {
  torch::NoGradGuard no_grad;
  model.train(false);
  EvalResult r;
  std::vector<int64_t> layer_correct;
  int64_t head_correct = 0, ensemble_correct = 0;
  double loss_sum = 0;
  loader.start_epoch(0);
  Batch batch;
  while (loader.next(batch)) {
    torch::Tensor x = to_device(batch.images, device), y = to_device(batch.labels, device);
    Prediction p = model.readout->predict(x);
    require_weight_count(weights, p.layer_scores.size());
    layer_correct.resize(p.layer_scores.size(), 0);
    torch::Tensor ensemble;
    for (size_t l = 0; l < p.layer_scores.size(); ++l) {
      layer_correct[l] += p.layer_scores[l].argmax(1).eq(y).sum().item<int64_t>();
      torch::Tensor prob = torch::softmax(p.layer_scores[l], 1) * (weights.empty() ? 1.0 : weights[l]);
      ensemble = ensemble.defined() ? ensemble + prob : prob;
    }
    loss_sum += torch::nn::functional::cross_entropy(p.scores, y).item<double>() * double(y.size(0));
    head_correct += p.scores.argmax(1).eq(y).sum().item<int64_t>();
    if (ensemble.defined()) ensemble_correct += ensemble.argmax(1).eq(y).sum().item<int64_t>();
    r.samples += y.size(0);
  }
  model.train(true);
  if (sum_over_ranks) {
    std::vector<double> counts = {double(r.samples), loss_sum, double(head_correct), double(ensemble_correct)};
    for (int64_t c : layer_correct) counts.push_back(double(c));
    counts = sum_over_ranks(counts);
    r.samples = int64_t(counts[0]);
    loss_sum = counts[1];
    head_correct = int64_t(counts[2]);
    ensemble_correct = int64_t(counts[3]);
    for (size_t l = 0; l < layer_correct.size(); ++l) layer_correct[l] = int64_t(counts[4 + l]);
  }
  if (r.samples == 0) return r;
  double n = double(r.samples);
  r.loss = loss_sum / n;
  r.head_accuracy = double(head_correct) / n;
  for (int64_t c : layer_correct) r.layer_accuracy.push_back(double(c) / n);
  r.ensemble_accuracy = double(ensemble_correct) / n;
  return r;
}

}  // namespace dcl
