#pragma once
// dcl train --nproc N: N worker processes of this same binary on this machine, joined into one
// c10d job through the environment variables torchrun would set (training/distributed.h).
#include <string>
#include <vector>

namespace dcl {

// This process's command line, as it was started (from /proc/self/cmdline).
std::vector<std::string> own_command_line();

// Starts `argv` (argv[0] is ignored: the workers run /proc/self/exe) as ranks 0..nproc-1 with
// MASTER_ADDR=127.0.0.1, a free MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE,
// and waits for them. SIGINT/SIGTERM are passed on (the workers stop together and rank 0 writes
// the checkpoint). When a worker fails (non-zero exit or a signal), the others are stopped
// (SIGTERM, then SIGKILL after `grace_seconds` for rank 0, which writes the run's files, and after a
// second for the others) and the return value is non-zero after a message
// that names the rank; `extra_env` entries ("NAME=value") are added to every worker's environment.
int launch_local_workers(int nproc, const std::vector<std::string>& argv, int grace_seconds = 10,
                         const std::vector<std::string>& extra_env = {});

}  // namespace dcl
