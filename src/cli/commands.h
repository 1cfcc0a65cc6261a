#pragma once
// The `dcl` subcommands; each file registers one group on the CLI11 app.
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

#include "dcl/training/run_config.h"
#include "dcl/util/enum_names.h"

namespace dcl::cli {

// A subcommand's action runs after parsing; it returns the process exit code.
using Action = std::function<int()>;

void add_data_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_train_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_bench_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_compare_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_export_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_methods_command(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);
void add_analyze_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions);  // and report

// A CLI11 parse error as one line naming the flag (main adds "dcl: error:").
std::string explain_parse_error(const CLI::ParseError& e);

// "must be at least N" for a numeric option (CLI11's own range check prints "0 to 1.797e308").
inline CLI::Validator at_least(long long n) {
  return CLI::Validator(
      [n](std::string& text) {
        try {
          if (std::stoll(text) >= n) return std::string();
        } catch (const std::exception&) {
        }
        return "must be at least " + std::to_string(n) + " (got " + text + ")";
      },
      ">=" + std::to_string(n));
}

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

// An integer option in [lo, hi], with what its special values mean ("-1 = the last block").
inline CLI::Validator integer_in(long long lo, long long hi, const std::string& note = "") {
  return CLI::Validator(
      [=](std::string& text) {
        try {
          size_t used = 0;
          long long v = std::stoll(text, &used);
          if (used == text.size() && v >= lo && v <= hi) return std::string();
        } catch (const std::exception&) {
        }
        return "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]" +
               (note.empty() ? "" : " (" + note + ")") + ", not " + text;
      },
      "");
}

// A finite number above `lo` (or at least `lo` when `inclusive`).
inline CLI::Validator number_above(double lo, bool inclusive = false) {
  return CLI::Validator(
      [=](std::string& text) {
        try {
          size_t used = 0;
          double v = std::stod(text, &used);
          if (used == text.size() && std::isfinite(v) && (inclusive ? v >= lo : v > lo)) return std::string();
        } catch (const std::exception&) {
        }
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", lo);
        return std::string("must be a finite number ") + (inclusive ? ">= " : "> ") + bound + ", not " + text;
      },
      "");
}

// Each option bound to a RunConfig field, with the field's name: presets never override a field
// whose option was given on the command line.
using OptionFields = std::vector<std::pair<CLI::Option*, std::string>>;

// Enums are given by name (their names_of list) and parsed here, once.
template <typename T>
void add_field(CLI::App* cmd, OptionFields& fields, T& field, const std::string& flag, const std::string& name,
               const std::string& help) {
  CLI::Option* option = nullptr;
  if constexpr (std::is_enum_v<T>) {
    // parse_enum is the one name check; CLI11 reports its message as a parse error.
    auto parse = [&field, flag](const std::string& text) {
      try {
        field = parse_enum<T>(text, flag);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError(e.what());
      }
    };
    option = cmd->add_option_function<std::string>(flag, parse, help)->type_name("NAME")->default_str(name_of(field));
  } else if constexpr (std::is_same_v<T, bool>) {
    option = cmd->add_flag(flag, field, help);  // on when given (--flag=false turns it off)
  } else {
    option = cmd->add_option(flag, field, help)->capture_default_str();
    if constexpr (is_vector<T>::value) option->delimiter(',');  // "--mean 0.5,0.4" as well as "--mean 0.5 0.4"
  }
  fields.emplace_back(option, name);
}

// The names of the fields whose options were given.
std::vector<std::string> explicit_fields(const OptionFields& fields);

// How the stages run (`train`): --schedule, --pipeline-*, --nproc, --dist-timeout.
void add_schedule_options(CLI::App* cmd, RunConfig& c, OptionFields& fields);
// The model and its optimiser (`train`, `bench`, `compare`).
void add_model_options(CLI::App* cmd, RunConfig& c, OptionFields& fields);
// Every method's own settings (part of the model options).
void add_method_options(CLI::App* cmd, SettingValues& values, OptionFields& fields);
// Data, schedule and budget (`train`, `compare`).
void add_run_options(CLI::App* cmd, RunConfig& c, OptionFields& fields);

// Warns on stderr when LibTorch's matrix products run on the slow reference BLAS.
void warn_if_reference_blas();

}  // namespace dcl::cli
