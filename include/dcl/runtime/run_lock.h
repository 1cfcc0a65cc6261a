#pragma once
// One process at a time per run directory: an advisory lock (flock) on DIR/.lock, which holds the
// owner's PID. The kernel releases the lock when its process dies, so a lock left by a killed run is
// stale by construction: the next run takes it over and says whose it was.
#include <string>

namespace dcl {

class RunLock {
 public:
  // Creates `dir` if needed and locks it; throws std::runtime_error naming the PID of the process
  // that holds it.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace dcl
