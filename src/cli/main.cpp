// dcl: train and measure networks with Dictionary Contrastive Learning and other local methods.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <c10/util/Exception.h>
#include <c10/util/Logging.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dcl/runtime/blas_kernel.h"
#include "dcl/util/json_error.h"

int main(int argc, char** argv) {
  // Settings the libraries read when they load, before main: set them and start again (a user's
  // own setting is left alone).
  // - LibTorch and oneDNN run on OpenMP threads, the fc layers' matrix products on OpenBLAS's own
  //   threads. OpenMP's idle threads spin by default and steal the cores OpenBLAS needs (the fc
  //   step takes 2-3x longer on 2 cores).
  // - c10d logs through glog (Debian's LibTorch) or c10's own logger (LibTorch 2.x): its lines
  //   ("E1207 ... socket.cpp:462] [c10d] ...") would come before dcl's own one-line error, which
  //   says the same in the flag's words. --verbose keeps them.
  bool verbose_given = false;
  for (int i = 1; i < argc; ++i) verbose_given |= std::string(argv[i]) == "--verbose";
  std::vector<std::pair<const char*, const char*>> defaults = {{"OMP_WAIT_POLICY", "PASSIVE"}};
  if (!verbose_given) {
    defaults.emplace_back("GLOG_minloglevel", "3");
    defaults.emplace_back("TORCH_CPP_LOG_LEVEL", "FATAL");
  }
  // - OpenBLAS chose its kernel from a table of processor models when it loaded; on a processor
  //   newer than its table that is the generic SSE3 one. The kernel the processor's instruction
  //   sets allow (runtime/blas_kernel.h) is 3-4x faster for the fc layers, with the same results.
  std::string core;
  if (!std::getenv("OPENBLAS_CORETYPE"))
    core = dcl::openblas_core_override(dcl::loaded_blas().core, dcl::cpu_features());
  if (!core.empty()) defaults.emplace_back("OPENBLAS_CORETYPE", core.c_str());
  bool changed = false;
  for (const auto& [name, value] : defaults)
    if (!std::getenv(name)) changed = setenv(name, value, 1) == 0;
  if (changed) execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
  // LibTorch 2.x's own logger reads TORCH_CPP_LOG_LEVEL only when asked to (Python asks at import).
  c10::initLogging();
  // Past a file-size limit (ulimit -f) a write fails with EFBIG and is reported by the write that
  // hit it, instead of the signal killing the process mid-write.
  std::signal(SIGXFSZ, SIG_IGN);
  // Every training step allocates and frees the same large tensors (a VGG8B block's conv output is
  // 128 MB). glibc serves blocks past 32 MB with mmap and unmaps them on free, so every step
  // faults them in again page by page; kept in the heap (and the heap not trimmed below 1 GiB of
  // free space) they are reused as they are.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // One arena for every thread: the pipeline's stage threads allocate those same tensors, and a
  // thread's own arena grows in heaps of at most 64 MiB, which such a tensor does not fit (it
  // would be mapped and unmapped every step again).
  mallopt(M_ARENA_MAX, 1);
  CLI::App app{"dcl: local supervision with Dictionary Contrastive Learning (Choi et al., ICLR 2024)"};
  app.require_subcommand(1);
  app.fallthrough();  // --verbose is accepted after the subcommand too
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "On an error, print the libraries' full message (LibTorch's backtrace)");
  std::vector<std::pair<CLI::App*, dcl::cli::Action>> actions;
  dcl::cli::add_data_commands(app, actions);
  dcl::cli::add_train_commands(app, actions);
  dcl::cli::add_bench_command(app, actions);
  dcl::cli::add_compare_command(app, actions);
  dcl::cli::add_methods_command(app, actions);
  dcl::cli::add_analyze_commands(app, actions);
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::fprintf(stderr, "dcl: error: unknown command '%s' (valid: %s); see dcl --help\n", argv[1],
                   dcl::join_names(names).c_str());
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
    std::fprintf(stderr, "dcl: error: %s (see dcl%s --help)\n", dcl::cli::explain_parse_error(e).c_str(),
                 command.c_str());
    return 2;
  }
  // The command boundary: every error becomes one line; LibTorch's backtrace only with --verbose.
  try {
    for (auto& [cmd, action] : actions)
      if (cmd->parsed()) return action();
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "dcl: error: %s\n", verbose ? e.what() : e.what_without_backtrace());
    return 1;
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "dcl: error: unexpected JSON content: %s\n", dcl::json_error_text(e).c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "dcl: error: out of memory (a smaller --batch-size or network would fit)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dcl: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
