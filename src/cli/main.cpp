// dcl: train and measure networks with Dictionary Contrastive Learning and other local methods.
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <c10/util/Logging.h>

#include "dcl/cli/run_cli.h"
#include "dcl/runtime/blas_kernel.h"

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
  return dcl::cli::run_cli(argc, argv);
}
