#pragma once
// A one-line progress bar on stderr: redrawn in place on a terminal, one final line otherwise.
#include <chrono>
#include <cstdint>
#include <string>

namespace dcl {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  // `done` of `total` units; `status` is shown after the bar (loss, accuracy, ...).
  void update(int64_t done, const std::string& status);
  void finish(const std::string& status);

 private:
  void draw(int64_t done, const std::string& status, bool final);
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string format_duration(double seconds);

}  // namespace dcl
