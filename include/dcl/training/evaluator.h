#pragma once
// Evaluation through the model's readout: the accuracy of its prediction (the "head" accuracy:
// the classifier head, or the method's own rule), every scoring block's layer-wise accuracy
// (for DCL the argmax over the dictionary, no classifier) and the ensemble of layer-wise predictions.
#include <functional>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "dcl/stages/model.h"
#include "dcl/training/batch_loader.h"

namespace dcl {

struct EvalResult {
  int64_t samples = 0;
  double loss = 0;                     // head cross-entropy
  double head_accuracy = 0;            // in [0, 1]
  std::vector<double> layer_accuracy;  // per block with layer-wise scores
  double ensemble_accuracy = 0;        // weighted sum of per-block softmax (spec section 1)
  nlohmann::json to_json() const;
};

// `weights` per scoring block; empty = equal weights.
// Sums over the ranks of a data-parallel job (identity in a single process).
using SumOverRanks = std::function<std::vector<double>(const std::vector<double>&)>;
// With `sum_over_ranks`, `loader` holds this rank's shard and the counts of all shards are summed:
// every test image is evaluated once, by one rank, and every rank gets the same result.
EvalResult evaluate(Model& model, BatchLoader& loader, const torch::Device& device, const std::vector<double>& weights,
                    const SumOverRanks& sum_over_ranks = nullptr);

// Refuses ensemble weights whose count is not the model's number of scoring blocks, before any
// data is read (one prediction on two blank images; the random generator is left as it was).
void check_ensemble_weights(Model& model, const InputShape& input, const std::vector<double>& weights);

}  // namespace dcl
