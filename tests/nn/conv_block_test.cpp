// The fused conv block equals the plain module chain: outputs, every gradient, BN statistics.
#include <gtest/gtest.h>

#include "dcl/nn/conv_block.h"

using namespace dcl;

namespace {

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  // Float sums in another order: allow 5e-4 of the tensor's scale (a wrong mask or routing
  // differs by O(1)).
  double diff = (a - b).abs().max().item<double>(), scale = 1 + b.abs().max().item<double>();
  EXPECT_LT(diff, 5e-4 * scale) << what << ": max difference " << diff << " at scale " << scale;
}

}  // namespace

// pool, kernel, stride, size, chunk, recompute, dtype (double takes the ATen-operator path that
// CUDA uses; float the CPU loops)
using BlockCase = std::tuple<bool, int, int, int, int, bool, torch::ScalarType>;
class FusedConvBlock : public ::testing::TestWithParam<BlockCase> {};

TEST_P(FusedConvBlock, MatchesTheModuleChainInValueAndGradient) {
  auto [pool, kernel, stride, size, chunk, recompute, dtype] = GetParam();
  torch::manual_seed(2);
  ConvBlock block(ConvBlockOptions{3, 5, kernel, stride, pool});
  block->set_memory_plan(chunk, recompute);
  block->to(dtype);
  torch::nn::init::uniform_(block->bn->weight, 0.5, 1.5);  // non-trivial affine parameters
  torch::nn::init::uniform_(block->bn->bias, -0.5, 0.5);
  // 70 samples: several chunks, the last partial
  torch::Tensor x = torch::randn({70, 3, size, size}, dtype);
  // The upstream gradient as a transposed view, as a loss over [N, positions, C] passes it back.
  torch::Tensor upstream = torch::randn_like(block->forward_reference(x).transpose(1, 3).contiguous()).transpose(1, 3);

  auto run = [&](bool fused) {
    block->zero_grad();
    torch::Tensor xi = x.clone().requires_grad_(true);
    torch::Tensor mean_before = block->bn->running_mean.clone();
    torch::Tensor out = fused ? block->forward(xi) : block->forward_reference(xi);
    (out * upstream).sum().backward();
    std::vector<torch::Tensor> r = {out.detach(), xi.grad()};
    for (auto& p : block->parameters()) r.push_back(p.grad().clone());
    r.push_back(block->bn->running_mean.clone());
    r.push_back(block->bn->running_var.clone());
    block->bn->running_mean.copy_(mean_before);  // both paths start from the same statistics
    return r;
  };
  torch::Tensor var0 = block->bn->running_var.clone();
  auto ref = run(false);
  block->bn->running_var.copy_(var0);
  auto fused = run(true);
  const char* names[] = {"output",         "input grad",   "conv weight grad", "conv bias grad",
                         "bn weight grad", "bn bias grad", "running mean",     "running var"};
  ASSERT_EQ(ref.size(), fused.size());
  for (size_t i = 0; i < ref.size(); ++i) expect_close(fused[i], ref[i], names[i]);
}

constexpr auto F = torch::kFloat;
INSTANTIATE_TEST_SUITE_P(Shapes, FusedConvBlock,
                         ::testing::Values(BlockCase(true, 3, 1, 8, 32, false, F), BlockCase(false, 3, 1, 8, 32, false, F),
                                           BlockCase(false, 3, 2, 8, 32, false, F), BlockCase(true, 7, 2, 8, 32, false, F),
                                           // odd maps (VGG8B on 28x28: 7x7 -> 3x3): the last row and
                                           // column are in no pooling window
                                           BlockCase(true, 3, 1, 7, 32, false, F),
                                           // y recomputed from x in every pass, small chunks
                                           BlockCase(true, 3, 1, 8, 16, true, F), BlockCase(false, 3, 1, 7, 9, true, F),
                                           BlockCase(true, 3, 1, 7, 70, false, F),
                                           // the ATen-operator path
                                           BlockCase(true, 3, 1, 7, 32, false, torch::kDouble),
                                           BlockCase(false, 3, 1, 8, 16, true, torch::kDouble)));

TEST(FusedConvBlockInput, NoInputGradientIsComputedForADetachedInput) {
  ConvBlock block(ConvBlockOptions{2, 4, 3, 1, true});
  torch::Tensor x = torch::randn({2, 2, 6, 6});
  block->forward(x).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_TRUE(block->conv->weight.grad().defined());
}
