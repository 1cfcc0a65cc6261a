#pragma once
// `dcl compare`: every method x seed trained with the same data, data order and budget by the
// ordinary Trainer, one run directory each (DIR/<method>-seed<k>/), then one table:
// DIR/compare.md and DIR/compare.csv. Finished runs (summary.json) are read back, interrupted
// ones (checkpoint.pt) resumed, so giving the same command again continues where it stopped.
#include <optional>
#include <string>
#include <vector>

#include "dcl/report/plots.h"
#include "dcl/training/run_config.h"

namespace dcl {

struct CompareOptions {
  RunConfig base;  // data, arch, epochs, optimiser ...; base.seed is the first seed
  // The config keys given on the command line: with base.preset, each row takes its own method's
  // preset for every other setting.
  std::vector<std::string> given;
  // Rows: a method, or a method with settings of its own, "METHOD:key=value[:key=value...]"
  // (config.json keys), e.g. "dcl-s:dict_init=orthogonal".
  std::vector<std::string> methods;
  int seeds = 1;           // seeds base.seed .. base.seed + seeds - 1
  std::string out;         // DIR
  bool reference = false;  // add spec section 7's numbers where it has them
};

struct CompareRow {
  std::string method;
  std::string schedule;              // optimiser, lr, batch, epochs (schedule_text)
  std::vector<double> test_errors;   // %, one per finished seed: the method's prediction
  std::vector<double> best_errors;   // %, one per finished seed: the lowest over its epochs
  std::vector<double> layer_errors;  // %, the last scoring block alone (dictionary argmax, CaFo's last predictor)
  int64_t params = 0;
  int64_t auxiliary_params = 0;
  double peak_memory_mib = 0;                  // largest over seeds
  double seconds_per_epoch = 0;                // mean over seeds
  std::optional<double> reference_error;       // spec Table 3 (VGG8B), %
  std::optional<double> reference_memory_mib;  // spec Table 4 (VGG8B, GPU)

  double mean_error() const;
  double error_spread() const;  // sample standard deviation; 0 for one seed
};

// Trains what is missing and returns one row per method; writes compare.md and compare.csv.
// Returns an empty vector when interrupted (SIGINT/SIGTERM): finished runs and checkpoints stay.
std::vector<CompareRow> run_compare(const CompareOptions& options);

// The DCL variants of the paper's Table 5 and Figure 4, as rows: the static dictionary random
// (dcl-s) and orthogonal, the adaptive one (dcl), cos instead of dot, a linear map instead of pooling.
const std::vector<std::string>& dcl_variant_rows();

// The settings of one row: base with the row's method, that method's preset (when base.preset is
// set) for every setting not in `given`, and the row's own key=value settings. Throws
// std::invalid_argument naming an unknown method, an unknown key or a value of the wrong type.
RunConfig row_config(const RunConfig& base, const std::string& row, const std::vector<std::string>& given = {});
// The row's method and settings on `base` as it is, without the method's preset: what a `dcl bench`
// row measures ("bp:checkpoint_segments=4" beside "bp").
RunConfig row_settings_config(const RunConfig& base, const std::string& row);

// "adamw lr 0.0005 wd 0.01, batch 512, 5 epochs (step at 4, x0.5)": how a run is optimised.
std::string schedule_text(const RunConfig& cfg);

// The run directory of one method (row) and seed.
std::string compare_run_dir(const CompareOptions& options, const std::string& method, uint64_t seed);

// Every row's test error (the method's prediction) per epoch, the mean over the seeds that reached
// that epoch, from the runs' metrics.jsonl; rows with no evaluated epoch are left out. run_compare
// draws it as DIR/learning_curves.png.
plot::LinePlot learning_curves(const CompareOptions& options);

std::string format_compare_markdown(const CompareOptions& options, const std::vector<CompareRow>& rows);
std::string format_compare_csv(const std::vector<CompareRow>& rows);

// Spec section 7's numbers for a method on a dataset, when it has them.
// Spec section 7's numbers for a row: VGG8B's only (nullopt for every other network).
std::optional<double> reference_error(const std::string& method, const std::string& data, const std::string& arch);
std::optional<double> reference_memory_mib(const std::string& method, const std::string& data, const std::string& arch);

}  // namespace dcl
