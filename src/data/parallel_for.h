#pragma once
// fn(i) for i in [0, n) on a few threads, for the folder datasets' surveys and caches.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dcl::data {

// `requested` threads (0 = every core), never more than there is work.
inline int worker_count(int requested, size_t work) {
  int n = requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
  return int(std::max<size_t>(1, std::min<size_t>(size_t(n), work)));
}

// Items are taken from a shared counter; the first exception stops the rest and is rethrown.
template <class F>
void parallel_for(int64_t n, int threads, F fn) {
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex mutex;
  auto work = [&] {
    for (int64_t i; (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < worker_count(threads, size_t(n)); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace dcl::data
