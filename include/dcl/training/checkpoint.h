#pragma once
// Checkpoints: model state (Model::named_state), every stage's optimiser state by stage name,
// the random generator state and the position inside the run, written atomically (temporary
// name, then rename). Format 2; a checkpoint of format 1 (dcl before stages) is refused by name.
#include <cstdint>
#include <string>
#include <vector>

#include "dcl/stages/model.h"

namespace dcl {

// Where a run stands: the next batch to train and the running sums of the epoch so far.
struct TrainingProgress {
  int epoch = 0;              // epoch being trained (0-based)
  int64_t batch = 0;          // next batch of that epoch
  int64_t step = 0;           // optimiser steps taken in the whole run
  double loss_sum = 0;        // head loss * samples, this epoch
  int64_t correct = 0;        // correctly predicted samples, this epoch (when has_accuracy)
  bool has_accuracy = false;  // the method predicts while it trains (not FF/SymBa)
  int64_t seen = 0;           // samples, this epoch
  double epoch_seconds = 0;
  double train_seconds = 0;  // whole run
  int64_t peak_bytes = 0;
  std::vector<double> block_loss_sums;
};

void save_checkpoint(const std::string& path, Model& model, const TrainingProgress& progress);
// Throws std::runtime_error naming the file when it is missing, corrupt or from another model.
TrainingProgress load_checkpoint(const std::string& path, Model& model);

}  // namespace dcl
