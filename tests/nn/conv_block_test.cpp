// The fused conv block equals the plain module chain: outputs, every gradient, BN statistics.
#include <gtest/gtest.h>

#include "dcl/nn/conv_block.h"
#include "dcl/util/torch_compat.h"

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
                         ::testing::Values(BlockCase(true, 3, 1, 8, 32, false, F),
                                           BlockCase(false, 3, 1, 8, 32, false, F),
                                           BlockCase(false, 3, 2, 8, 32, false, F),
                                           BlockCase(true, 7, 2, 8, 32, false, F),
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

namespace {

// One training step of `block` on x under autocast bf16 (or none): output, every gradient and the
// function autograd recorded for the output.
struct Step {
  std::vector<torch::Tensor> values;
  std::string grad_fn;
};
Step bf16_step(ConvBlock& block, const torch::Tensor& x, const torch::Tensor& upstream, bool amp, bool fused = true) {
  block->zero_grad();
  torch::Tensor out;
  {
    const bool was = compat::autocast_enabled(torch::kCPU);
    compat::set_autocast(torch::kCPU, amp, at::kBFloat16);
    out = fused ? block->forward(x) : block->forward_reference(x);
    compat::set_autocast(torch::kCPU, was, at::kBFloat16);
    at::autocast::clear_cache();
  }
  Step s{{out.detach()}, out.grad_fn()->name()};
  out.to(torch::kFloat).mul(upstream).sum().backward();
  for (auto& p : block->parameters()) s.values.push_back(p.grad().clone());
  return s;
}

}  // namespace

// --amp bf16 keeps the fused path: its output and gradients are float32 and no farther from
// float32's than the module chain's under autocast (the precision bfloat16 gives: the weight
// gradients of a block with BatchNorm differ by a few percent either way), whether the convolutions
// run in bfloat16 or in float32 on a bfloat16 y, with y kept or recomputed.
TEST(FusedConvBlockBf16, KeepsTheFusedPathAndTheModuleChainsPrecision) {
  for (bool pool : {true, false})
    for (bool bf16_conv : {true, false})
      for (bool recompute : {false, true}) {
        SCOPED_TRACE(std::string(pool ? "pool" : "no pool") + (bf16_conv ? ", bf16 conv" : ", float32 conv") +
                     (recompute ? ", recompute" : ", y kept"));
        torch::manual_seed(3);
        ConvBlock block(ConvBlockOptions{4, 8, 3, 1, pool});
        block->set_memory_plan(16, recompute);
        torch::Tensor x = torch::randn({40, 4, 8, 8});
        torch::Tensor upstream =
            torch::randn(pool ? std::vector<int64_t>{40, 8, 4, 4} : std::vector<int64_t>{40, 8, 8, 8});
        Step exact = bf16_step(block, x, upstream, false);
        block->set_bf16_convolution(bf16_conv);
        Step low = bf16_step(block, x, upstream, true);
        Step chain = bf16_step(block, x, upstream, true, false);
        EXPECT_NE(low.grad_fn.find("FusedConvBnReluPool"), std::string::npos) << low.grad_fn;
        const char* names[] = {"output", "conv weight grad", "conv bias grad", "bn weight grad", "bn bias grad"};
        for (size_t i = 0; i < exact.values.size(); ++i) {
          EXPECT_EQ(low.values[i].scalar_type(), torch::kFloat) << names[i];
          double diff = (low.values[i] - exact.values[i]).abs().max().item<double>();
          double chain_diff = (chain.values[i].to(torch::kFloat) - exact.values[i]).abs().max().item<double>();
          double scale = exact.values[i].abs().max().item<double>();
          if (!bf16_conv && recompute) {  // float32 convolutions and no y kept: nothing is rounded
            EXPECT_EQ(diff, 0) << names[i];
            continue;
          }
          EXPECT_GT(diff, 0) << names[i] << ": bfloat16 rounding left no trace";
          EXPECT_LE(diff, 2 * chain_diff + 0.01 * scale)
              << names[i] << ": max difference " << diff << ", the module chain's " << chain_diff;
        }
      }
}
