// The device layer: mixed precision on the CPU (always), and the CUDA path (only where a GPU is
// present; elsewhere those tests skip and say why).
#include <gtest/gtest.h>

#include "dcl/runtime/device.h"
#include "dcl/runtime/memory_tracker.h"
#include "dcl/stages/mixed_precision.h"
#include "dcl/util/torch_compat.h"
#include "test_models.h"

using namespace dcl;

namespace {

// One update of every stage of `c` on a fixed batch; the block losses.
std::vector<double> one_step(const RunConfig& c, const torch::Device& device) {
  Model m = test_models::model(c);
  m.to(device);
  m.set_amp(c.amp, device.type());
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({32, 1, 28, 28}), y = torch::randint(10, {32}, torch::kInt64);
  return m.schedule->step(to_device(x, device), to_device(y, device)).block_losses;
}

#define SKIP_WITHOUT_CUDA()                                             \
  if (!built_with_cuda() || !torch::cuda::is_available())               \
  GTEST_SKIP() << (built_with_cuda() ? "no CUDA device on this machine" \
                                     : "this build has no CUDA (TORCH=pypi scripts/build.sh builds one)")

}  // namespace

TEST(MixedPrecision, Bf16BlocksWithFloatLossesStayCloseToFloat32) {
  RunConfig c = test_models::config("dcl");
  c.fc_width = 64;
  std::vector<double> full = one_step(c, torch::kCPU);
  c.amp = Amp::Bf16;
  std::vector<double> mixed = one_step(c, torch::kCPU);
  ASSERT_EQ(full.size(), mixed.size());
  for (size_t l = 0; l < full.size(); ++l) {
    EXPECT_NE(full[l], mixed[l]) << "block " << l << ": autocast changed nothing";
    EXPECT_NEAR(mixed[l], full[l], 0.05 * std::abs(full[l])) << "block " << l;
  }
  // The scope restores the state it found.
  EXPECT_FALSE(compat::autocast_enabled(torch::kCPU));
}

TEST(MixedPrecision, AutocastScopeCastsInsideAndRestoresOutside) {
  torch::Tensor a = torch::randn({4, 4}), b = torch::randn({4, 4});
  {
    AutocastScope amp(Amp::Bf16, torch::kCPU);
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
  AutocastScope none(Amp::None, torch::kCPU);
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
}

TEST(Device, CudaIsRefusedClearlyWhereThereIsNone) {
  if (built_with_cuda() && torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  try {
    parse_device("cuda");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--device cuda"), std::string::npos) << e.what();
  }
}

TEST(CudaDevice, AStepOnTheGpuMatchesTheCpuStep) {
  SKIP_WITHOUT_CUDA();
  RunConfig c = test_models::config("dcl");
  c.fc_width = 64;
  std::vector<double> cpu = one_step(c, torch::kCPU), gpu = one_step(c, torch::Device("cuda"));
  ASSERT_EQ(cpu.size(), gpu.size());
  for (size_t l = 0; l < cpu.size(); ++l) EXPECT_NEAR(gpu[l], cpu[l], 1e-3 * std::abs(cpu[l]) + 1e-4) << l;
}

TEST(CudaDevice, PinnedAsynchronousCopiesArriveIntact) {
  SKIP_WITHOUT_CUDA();
  torch::Tensor host = torch::randn({256, 3, 32, 32});
  torch::Tensor gpu = to_device(host, torch::Device("cuda"));
  synchronize(torch::Device("cuda"));
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_TRUE(torch::equal(gpu.cpu(), host));
}

TEST(CudaDevice, PeakMemoryComesFromTheCachingAllocatorAndResets) {
  SKIP_WITHOUT_CUDA();
  MemoryTracker memory("cuda");
  memory.reset_peak();
  int64_t before = memory.peak_bytes();
  {
    torch::Tensor big = torch::empty({64 << 20}, torch::TensorOptions().device(torch::kCUDA));  // 256 MiB
    EXPECT_GE(memory.peak_bytes() - before, int64_t(256) << 20);
  }
  memory.reset_peak();
  EXPECT_LT(memory.peak_bytes(), before + (int64_t(256) << 20));
}

TEST(CudaDevice, Bf16TrainingOnTheGpuIsFinite) {
  SKIP_WITHOUT_CUDA();
  RunConfig c = test_models::config("dcl", "fc");
  c.amp = Amp::Bf16;
  for (double loss : one_step(c, torch::Device("cuda"))) EXPECT_TRUE(std::isfinite(loss));
}
