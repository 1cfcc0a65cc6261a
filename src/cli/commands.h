#pragma once
// The `dcl` subcommands; each file registers one group on the CLI11 app.
#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "dcl/core/run_config.h"

namespace dcl::cli {

// A subcommand's action runs after parsing; it returns the process exit code.
using Action = std::function<int()>;

void add_data_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_train_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_bench_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_compare_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);

// Options shared by `train` and `bench` that describe the model and its optimiser; `fields`
// records which RunConfig field each option sets (presets never override explicit flags).
void add_model_options(CLI::App* cmd, RunConfig& c, std::vector<std::pair<CLI::Option*, std::string>>& fields);

// Warns on stderr when LibTorch's matrix products run on the slow reference BLAS.
void warn_if_reference_blas();

}  // namespace dcl::cli
