#pragma once
// The files of a run directory (config.json, metrics.jsonl, summary.json, checkpoint.pt): every
// write goes through write_file_atomic, so a file is replaced whole or not at all, and a failed
// write (a full disk, a file-size limit) is reported by path and reason and leaves no temporary file.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/training/run_config.h"
#include "dcl/util/atomic_file.h"
#include "dcl/util/output_files.h"

namespace dcl {
// The whole file; "" when it does not exist. Throws naming the file when it cannot be read.
std::string read_text_file(const std::string& path);
// Parses a run directory's JSON file; throws std::runtime_error naming the file when unreadable.
nlohmann::json read_json_file(const std::string& path);
// A run's config.json; a missing file, bad JSON or a wrong value is an error naming the file and key.
RunConfig read_run_config(const std::string& path);

// The run files present in `dir` (empty when none, or no such directory).
std::vector<std::string> existing_run_files(const std::string& dir);

// Appends one JSON line to DIR/metrics.jsonl (the whole file rewritten atomically).
void append_metrics_line(const std::string& dir, const nlohmann::json& line);
// The lines of DIR/metrics.jsonl with their epochs. A damaged line (not an epoch's JSON object)
// is an error naming the file and the line.
std::vector<std::pair<int, std::string>> read_metrics_lines(const std::string& dir);
// Keeps only the lines of DIR/metrics.jsonl of epochs <= `epochs` (a damaged line is an error, and
// the file is left as it was): after a kill between an epoch's metrics line and its checkpoint,
// the resumed run does not log that epoch twice.
void truncate_metrics(const std::string& dir, int epochs);
// The best test results over the epochs of DIR/metrics.jsonl, as the authors' DCL code keeps them
// (trainer.py best_acc, best_acc_layer): best_test_error (% of the head's prediction) with its
// best_test_epoch, and best_last_layer_accuracy where the method has layer-wise predictions.
// Empty when no epoch was evaluated.
nlohmann::json best_test_results(const std::string& dir);

}  // namespace dcl
