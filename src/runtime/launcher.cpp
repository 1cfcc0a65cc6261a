#include "dcl/runtime/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace dcl {

namespace {

std::atomic<int> forwarded_signal{0};

// A port that was free a moment ago: the kernel picks it for a socket bound to port 0.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("--nproc: cannot open a socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error(std::string("--nproc: cannot find a free port: ") + std::strerror(errno));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\0') {
      argv.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  if (argv.empty()) throw std::runtime_error("cannot read this process's command line from /proc/self/cmdline");
  return argv;
}

int launch_local_workers(int nproc, const std::vector<std::string>& argv, int grace_seconds,
                         const std::vector<std::string>& extra_env) {
  if (nproc < 1) throw std::invalid_argument("--nproc must be at least 1");
  int port = free_port();
  std::vector<pid_t> pids(size_t(nproc), -1);
  // Signals reach the workers (they share the terminal's process group too; forwarding covers a
  // kill aimed at this process alone).
  forwarded_signal = 0;
  auto forward = [](int sig) { forwarded_signal = sig; };
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  pid_t parent = getpid();
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> env = {"MASTER_ADDR=127.0.0.1",
                                    "MASTER_PORT=" + std::to_string(port),
                                    "RANK=" + std::to_string(r),
                                    "LOCAL_RANK=" + std::to_string(r),
                                    "WORLD_SIZE=" + std::to_string(nproc),
                                    "LOCAL_WORLD_SIZE=" + std::to_string(nproc)};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("--nproc: fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      // A worker never outlives the launcher.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      for (auto& e : env) putenv(strdup(e.c_str()));
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv("/proc/self/exe", args.data());
      std::fprintf(stderr, "rank %d: cannot start /proc/self/exe: %s\n", r, std::strerror(errno));
      _exit(127);
    }
    pids[size_t(r)] = pid;
  }

  int running = nproc, exit_code = 0;
  std::string failure;
  // After a failure each remaining worker has until its deadline to end, then SIGKILL: rank 0 (the
  // one that writes files) the grace period, the others a second (the job has failed; a worker
  // that hangs in a collective with a dead peer would otherwise wait out its whole timeout).
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> deadlines(size_t(nproc), Clock::time_point::max());
  auto signal_all = [&](int sig) {
    for (pid_t pid : pids)
      if (pid > 0) kill(pid, sig);
  };
  while (running > 0) {
    if (int sig = forwarded_signal.exchange(0)) signal_all(sig);
    for (int r = 0; r < nproc; ++r)
      if (pids[size_t(r)] > 0 && Clock::now() > deadlines[size_t(r)]) {
        kill(pids[size_t(r)], SIGKILL);
        deadlines[size_t(r)] = Clock::time_point::max();
      }
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int rank = -1;
    for (int r = 0; r < nproc; ++r)
      if (pids[size_t(r)] == pid) rank = r;
    if (rank < 0) continue;
    pids[size_t(rank)] = -1;
    --running;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool interrupted = WIFEXITED(status) && WEXITSTATUS(status) == 130;
    if (!ok && exit_code == 0) {
      exit_code = interrupted ? 130 : 1;
      if (!interrupted) {
        failure = "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ") " + describe_status(status);
        signal_all(SIGTERM);
        signal_all(SIGCONT);  // a stopped (hung) worker gets its SIGTERM now
        for (int r = 0; r < nproc; ++r)
          deadlines[size_t(r)] = Clock::now() + std::chrono::seconds(r == 0 ? grace_seconds : 1);
      }
    }
  }
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (!failure.empty())
    std::fprintf(stderr,
                 "dcl: %s; the other ranks were stopped. Files in the run directory are as the last complete "
                 "epoch (or interruption) left them.\n",
                 failure.c_str());
  return exit_code;
}

}  // namespace dcl
