// FusedAdamW follows torch::optim::AdamW step for step, and its state serialises the same way.
#include <gtest/gtest.h>

#include <sstream>

#include "dcl/optim/fused_adamw.h"

using namespace dcl;

TEST(FusedAdamW, MatchesLibTorchAdamWOverSeveralSteps) {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({300, 70}), b = a.clone();
  a.requires_grad_(true);
  b.requires_grad_(true);
  auto options = torch::optim::AdamWOptions(3e-3).weight_decay(0.05);
  FusedAdamW fused({a}, options);
  torch::optim::AdamW reference({b}, options);
  for (int step = 0; step < 6; ++step) {
    torch::Tensor g = torch::randn({300, 70});
    a.mutable_grad() = g.clone();
    b.mutable_grad() = g.clone();
    fused.step();
    reference.step();
    ASSERT_TRUE(torch::allclose(a, b, 1e-5, 1e-6))
        << "step " << step << ": max difference " << (a - b).abs().max().item<double>();
  }
  EXPECT_FALSE(torch::equal(a, torch::zeros_like(a)));
  // The saved state loads into LibTorch's own AdamW and continues identically.
  std::stringstream buffer;
  torch::serialize::OutputArchive out;
  fused.save(out);
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  torch::Tensor c = a.detach().clone().requires_grad_(true);
  torch::optim::AdamW restored({c}, options);
  restored.load(in);
  torch::Tensor g = torch::randn({300, 70});
  a.mutable_grad() = g.clone();
  c.mutable_grad() = g.clone();
  fused.step();
  restored.step();
  EXPECT_TRUE(torch::allclose(a, c, 1e-5, 1e-6));
}
