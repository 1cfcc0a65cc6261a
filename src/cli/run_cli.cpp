// The dcl command line, parsed and run in this process.
#include "dcl/cli/run_cli.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dcl/util/json_error.h"

namespace dcl::cli {

int run_cli(int argc, char** argv, std::string* error) {
  // Every error is one line: on stderr as "dcl: error: ...", or handed to the caller.
  auto fail = [error](const std::string& line) {
    if (error) {
      *error = line;
    } else {
      std::fprintf(stderr, "dcl: error: %s\n", line.c_str());
    }
  };
  CLI::App app{"dcl: local supervision with Dictionary Contrastive Learning (Choi et al., ICLR 2024)"};
  app.require_subcommand(1);
  app.fallthrough();  // --verbose is accepted after the subcommand too
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "On an error, print the libraries' full message (LibTorch's backtrace)");
  std::vector<std::pair<CLI::App*, Action>> actions;
  add_data_commands(app, actions);
  add_train_commands(app, actions);
  add_bench_command(app, actions);
  add_compare_command(app, actions);
  add_export_command(app, actions);
  add_methods_command(app, actions);
  add_analyze_commands(app, actions);
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      fail("unknown command '" + std::string(argv[1]) + "' (valid: " + join_names(names) + "); see dcl --help");
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, in the flag's words, and the usual exit code of a usage error.
    std::string command;  // " train", " analyze mi": the subcommands reached
    for (CLI::App* at = &app; !at->get_subcommands().empty();) {
      at = at->get_subcommands().front();
      command += " " + at->get_name();
    }
    fail(explain_parse_error(e) + " (see dcl" + command + " --help)");
    return 2;
  }
  // The command boundary: every error becomes one line; LibTorch's backtrace only with --verbose.
  try {
    for (auto& [cmd, action] : actions)
      if (cmd->parsed()) return action();
  } catch (const c10::Error& e) {
    fail(verbose ? e.what() : e.what_without_backtrace());
    return 1;
  } catch (const nlohmann::json::exception& e) {
    fail("unexpected JSON content: " + json_error_text(e));
    return 1;
  } catch (const std::bad_alloc&) {
    fail("out of memory (a smaller --batch-size or network would fit)");
    return 1;
  } catch (const std::exception& e) {
    fail(e.what());
    return 1;
  }
  return 0;
}

}  // namespace dcl::cli
