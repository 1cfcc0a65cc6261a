// dcl: train and measure networks with Dictionary Contrastive Learning and other local methods.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  // LibTorch and oneDNN run on OpenMP threads, the fc layers' matrix products on OpenBLAS's own
  // threads. OpenMP's idle threads spin by default and steal the cores OpenBLAS needs (the fc step
  // takes 2-3x longer on 2 cores). libgomp reads the policy when it loads, before main, so set it
  // and start again; a user's own setting is left alone.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
  }
  CLI::App app{"dcl: local supervision with Dictionary Contrastive Learning (Choi et al., ICLR 2024)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  std::vector<std::pair<CLI::App*, dcl::cli::Action>> actions;
  dcl::cli::add_data_commands(app, actions);
  dcl::cli::add_train_commands(app, actions);
  dcl::cli::add_bench_command(app, actions);
  dcl::cli::add_compare_command(app, actions);
  dcl::cli::add_methods_command(app, actions);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [cmd, action] : actions)
      if (cmd->parsed()) return action();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dcl: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
