#include "dcl/runtime/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace dcl {

namespace {

// The PID written into the lock file by its last owner (0 when none).
long read_owner(int fd) {
  char buf[32] = {0};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

RunLock::RunLock(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create run directory " + dir + ": " + ec.message());
  const std::string path = dir + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    long owner = read_owner(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK)
      throw std::runtime_error("run directory " + dir + " is in use by another dcl process" +
                               (owner > 0 ? " (PID " + std::to_string(owner) + ")" : "") +
                               "; wait for it to finish or choose another --out");
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(error));
  }
  long previous = read_owner(fd_);
  if (previous > 0 && previous != long(::getpid()))
    std::fprintf(stderr, "note: %s was left by process %ld, which %s; taking it over\n", path.c_str(), previous,
                 ::kill(pid_t(previous), 0) == 0 ? "no longer holds it" : "is no longer running");
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    std::fprintf(stderr, "note: cannot record this process in %s: %s\n", path.c_str(), std::strerror(errno));
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // A clean exit leaves no owner behind; the file itself stays (removing it would race a new owner).
  int ignored = ::ftruncate(fd_, 0);
  (void)ignored;
  ::close(fd_);
}

}  // namespace dcl
