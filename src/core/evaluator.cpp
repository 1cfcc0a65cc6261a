#include "dcl/core/evaluator.h"

#include <stdexcept>

namespace dcl {

nlohmann::json EvalResult::to_json() const {
  nlohmann::json j = {{"samples", samples}, {"loss", loss}, {"head_accuracy", head_accuracy}};
  if (!layer_accuracy.empty()) {
    j["layer_accuracy"] = layer_accuracy;
    j["ensemble_accuracy"] = ensemble_accuracy;
  }
  return j;
}

EvalResult evaluate(Model& model, BatchLoader& loader, const torch::Device& device, const std::vector<double>& weights) {
  torch::NoGradGuard no_grad;
  model.train(false);
  EvalResult r;
  std::vector<int64_t> layer_correct;
  int64_t head_correct = 0, ensemble_correct = 0;
  double loss_sum = 0;
  loader.start_epoch(0);
  Batch batch;
  while (loader.next(batch)) {
    torch::Tensor input = batch.images.to(device), y = batch.labels.to(device), x = input;
    torch::Tensor ensemble;
    std::vector<torch::Tensor> outputs;
    int scoring = 0;
    for (size_t l = 0; l < model.net->blocks.size(); ++l) {
      x = model.net->blocks[l]->forward(x);
      outputs.push_back(x);
      torch::Tensor s = model.objective ? model.objective->scores(int(l), x) : torch::Tensor();
      if (!s.defined()) continue;
      if (layer_correct.size() <= size_t(scoring)) layer_correct.push_back(0);
      layer_correct[size_t(scoring)] += s.argmax(1).eq(y).sum().item<int64_t>();
      double w = weights.empty() ? 1.0 : weights.at(size_t(scoring));
      torch::Tensor p = torch::softmax(s, 1) * w;
      ensemble = ensemble.defined() ? ensemble + p : p;
      ++scoring;
    }
    if (!weights.empty() && size_t(scoring) != weights.size())
      throw std::invalid_argument("--ensemble-weights has " + std::to_string(weights.size()) + " values but the model has " +
                                  std::to_string(scoring) + " blocks with layer-wise scores");
    torch::Tensor logits = model.learner->predict(input, outputs);
    loss_sum += torch::nn::functional::cross_entropy(logits, y).item<double>() * double(y.size(0));
    head_correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    if (ensemble.defined()) ensemble_correct += ensemble.argmax(1).eq(y).sum().item<int64_t>();
    r.samples += y.size(0);
  }
  model.train(true);
  if (r.samples == 0) return r;
  double n = double(r.samples);
  r.loss = loss_sum / n;
  r.head_accuracy = double(head_correct) / n;
  for (int64_t c : layer_correct) r.layer_accuracy.push_back(double(c) / n);
  r.ensemble_accuracy = double(ensemble_correct) / n;
  return r;
}

}  // namespace dcl
