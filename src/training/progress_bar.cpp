#include "dcl/training/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace dcl {

std::string format_duration(double seconds) {
  int64_t s = int64_t(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                  (long long)(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::update(int64_t done, const std::string& status) {
  auto now = std::chrono::steady_clock::now();
  if (!tty_ || now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  draw(done, status, false);
}

void ProgressBar::finish(const std::string& status) { draw(total_, status, true); }

void ProgressBar::draw(int64_t done, const std::string& status, bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double frac = total_ > 0 ? double(done) / double(total_) : 1.0;
  const int width = 24;
  int filled = int(frac * width);
  std::string bar(size_t(filled), '#');
  bar.resize(width, '.');
  std::string eta =
      final ? format_duration(elapsed) : (frac > 0 ? "ETA " + format_duration(elapsed * (1 - frac) / frac) : "");
  std::fprintf(stderr, "%s%s [%s] %3d%% %s %s%s", tty_ ? "\r\033[K" : "", label_.c_str(), bar.c_str(), int(frac * 100),
               status.c_str(), eta.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace dcl
