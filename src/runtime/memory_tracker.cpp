#include "dcl/runtime/memory_tracker.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <c10/core/CPUAllocator.h>
#include <torch/torch.h>

#include "dcl/runtime/device.h"
#include "dcl/util/torch_compat.h"

namespace dcl {

namespace {

// Wraps LibTorch's CPU allocator and counts the bytes it holds. Every CPU tensor's storage goes
// through here, so the peak is the true peak of tensor memory (not the process RSS, which also
// counts the code, the dataset and freed-but-cached pages). LibTorch's raw_allocate() requires the
// context to be the data pointer itself, so the inner allocation is kept in a table by address.
class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}

  c10::DataPtr allocate(size_t n) DCL_ALLOCATE_CONST override {
    c10::DataPtr inner = inner_->allocate(n);
    void* data = inner.get();
    c10::DeleterFnPtr deleter = inner.get_deleter();
    void* ctx = inner.release_context();
    {
      std::lock_guard<std::mutex> lock(mutex());
      table()[data] = Held{ctx, deleter, n};
    }
    int64_t now = current.fetch_add(int64_t(n)) + int64_t(n);
    int64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    return {data, data, &CountingAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &CountingAllocator::release; }

  void copy_data(void* dest, const void* src, std::size_t count) const DCL_OVERRIDE_IN_TORCH_2 {
    std::memcpy(dest, src, count);
  }

  static std::atomic<int64_t> current;
  static std::atomic<int64_t> peak;

 private:
  struct Held {
    void* ctx;
    c10::DeleterFnPtr deleter;
    size_t bytes;
  };
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::unordered_map<void*, Held>& table() {
    static auto* t = new std::unordered_map<void*, Held>();  // never destroyed: frees may run at exit
    return *t;
  }
  static void release(void* data) {
    if (!data) return;
    Held held;
    {
      std::lock_guard<std::mutex> lock(mutex());
      auto it = table().find(data);
      if (it == table().end()) return;
      held = it->second;
      table().erase(it);
    }
    current.fetch_sub(int64_t(held.bytes));
    if (held.deleter) held.deleter(held.ctx);
  }
  c10::Allocator* inner_;
};

std::atomic<int64_t> CountingAllocator::current{0};
std::atomic<int64_t> CountingAllocator::peak{0};

void install_counting_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    static CountingAllocator counting(c10::GetCPUAllocator());
    c10::SetCPUAllocator(&counting, /*priority=*/100);
  });
}

}  // namespace

MemoryTracker::MemoryTracker(const std::string& device) {
  torch::Device d(device);
  cuda_ = d.is_cuda();
  cuda_index_ = d.has_index() ? d.index() : 0;
  if (!cuda_) install_counting_allocator();
}

void MemoryTracker::reset_peak() {
  if (cuda_)
    cuda_reset_peak(cuda_index_);
  else
    CountingAllocator::peak.store(CountingAllocator::current.load());
}

int64_t MemoryTracker::current_bytes() const {
  return cuda_ ? cuda_allocated_bytes(cuda_index_) : CountingAllocator::current.load();
}

int64_t MemoryTracker::peak_bytes() const {
  return cuda_ ? cuda_peak_allocated_bytes(cuda_index_) : CountingAllocator::peak.load();
}

}  // namespace dcl
