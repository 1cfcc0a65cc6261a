#pragma once
// A disk that fills up, without mounting one: RLIMIT_FSIZE lowered for this process while the
// object lives (SIGXFSZ ignored, so a write past the limit fails with EFBIG instead of killing us).
#include <signal.h>
#include <sys/resource.h>

namespace file_size_limit {

class Limit {
 public:
  explicit Limit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~Limit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }
  Limit(const Limit&) = delete;
  Limit& operator=(const Limit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
};

}  // namespace file_size_limit
