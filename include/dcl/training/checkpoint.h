#pragma once
// Checkpoints: model state (Model::named_state), every stage's optimiser state by stage name,
// the random generator state and the position inside the run. Format 3: the whole payload is
// checksummed (CRC-32, verified on load) and records the run's identity (method, architecture and
// the settings that shape its tensors), so a damaged file or another run's checkpoint is refused
// by name. Written through write_file_atomic: a full disk leaves the previous checkpoint valid.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/stages/model.h"
#include "dcl/training/run_config.h"

namespace dcl {

// Where a run stands: the next batch to train and the running sums of the epoch so far.
struct TrainingProgress {
  int epoch = 0;              // epoch being trained (0-based) = epochs finished
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

// The settings that decide which tensors a checkpoint holds and what they mean (flat config keys),
// plus "settings_hash", a hash of them all.
nlohmann::json checkpoint_identity(const RunConfig& cfg);

void save_checkpoint(const std::string& path, Model& model, const TrainingProgress& progress,
                     const nlohmann::json& identity);
// Throws std::runtime_error naming the file when it is missing, damaged (checksum), of an older
// format, or of another run (naming each identity key that differs from `identity`).
TrainingProgress load_checkpoint(const std::string& path, Model& model, const nlohmann::json& identity);

}  // namespace dcl
