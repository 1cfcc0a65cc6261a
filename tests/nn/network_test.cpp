// The networks of spec section 2: parameter counts and clear errors for impossible shapes.
#include <gtest/gtest.h>

#include "dcl/nn/arch.h"
#include "dcl/nn/conv_block.h"
#include "dcl/nn/network.h"

using namespace dcl;

namespace {

int64_t count(const std::string& arch, InputShape in) {
  NetworkOptions o;
  o.arch = arch;
  o.input = in;
  return Network(o)->parameter_count();
}

}  // namespace

TEST(Networks, ParameterCountsMatchTheArchitectures) {
  // fc on 28x28: 784*1024+1024 + (2*1024 + 1024*1024+1024) + (2*1024 + 1024*10+10)
  EXPECT_EQ(count("fc", {1, 28, 28}), 784 * 1024 + 1024 + 2 * 1024 + 1024 * 1024 + 1024 + 2 * 1024 + 1024 * 10 + 10);
  // vgg8b on 32x32: flatten 2048 into the fc block.
  int64_t convs = (3 * 9 * 128 + 128) + (128 * 9 * 256 + 256) + (256 * 9 * 256 + 256) + (256 * 9 * 512 + 512) +
                  2 * (512 * 9 * 512 + 512);
  int64_t bns = 2 * (128 + 256 + 256 + 512 + 512 + 512) + 2 * 1024;
  EXPECT_EQ(count("vgg8b", {3, 32, 32}), convs + bns + (2048 * 1024 + 1024) + (1024 * 10 + 10));
}

TEST(Networks, ArchitectureNamesAndBadShapesAreClearErrors) {
  EXPECT_EQ(arch_info("simple512").name, "simple512");
  EXPECT_EQ(arch_names(), (std::vector<std::string>{"fc", "simple256", "simple512", "vgg8b", "resnet32", "resnet56",
                                                    "resnet110", "resnet18", "resnet34", "resnet50"}));
  try {
    arch_info("resnet");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("valid: fc, simple256, simple512, vgg8b"), std::string::npos) << e.what();
  }
  try {
    count("vgg8b", {1, 20, 20});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1x20x20"), std::string::npos) << e.what();
  }
  NetworkOptions bad;
  bad.fc_width = 100;
  bad.fc_patches = 8;
  EXPECT_THROW(Network{bad}, std::invalid_argument);  // 100 is not divisible by 8
}

TEST(Networks, OutputSizesDescribeEveryBlock) {
  NetworkOptions o;
  o.arch = "simple256";
  o.input = {3, 16, 16};
  Network net(o);
  ASSERT_EQ(net->output_sizes.size(), 2u);
  EXPECT_EQ(net->output_sizes[0], (std::vector<int64_t>{64, 16, 16}));
  EXPECT_EQ(net->output_sizes[1], (std::vector<int64_t>{256, 8, 8}));
  EXPECT_EQ(net->block_output_sizes()[1], 256 * 8 * 8);
}

TEST(Networks, TheFcHeadReluOfTheAuthorsCodeMakesEveryLogitNonNegative) {
  NetworkOptions o;
  o.input = {1, 28, 28};
  torch::manual_seed(3);
  Network plain(o);
  o.fc_head_relu = true;
  torch::manual_seed(3);
  Network relu(o);
  EXPECT_EQ(plain->parameter_count(), relu->parameter_count());  // no parameters of its own
  torch::Tensor x = torch::randn({64, 1, 28, 28});
  torch::Tensor a = plain->forward(x), b = relu->forward(x);
  EXPECT_TRUE(a.lt(0).any().item<bool>());       // without it some logits are negative ...
  EXPECT_TRUE(torch::equal(b, a.clamp_min(0)));  // ... with it they are clipped at 0, nothing else
}

TEST(Networks, TheFcBlocksTakeTanhWhenAsked) {
  NetworkOptions o;
  o.arch = "fc";
  o.input = {1, 8, 8};
  o.fc_width = 64;
  o.fc_patches = 8;
  o.activation = "tanh";
  torch::manual_seed(3);
  Network tanh_net(o);
  torch::Tensor h = tanh_net->blocks[0]->forward(10 * torch::randn({4, 1, 8, 8}));
  EXPECT_LT(h.min().item<double>(), -0.5);  // ReLU's outputs are never negative
  EXPECT_LE(h.abs().max().item<double>(), 1.0);
  o.activation = "sigmoid";
  EXPECT_THROW(Network{o}, std::invalid_argument);
}

TEST(Networks, LeakyReluLetsNegativeValuesThroughAtTheLocalLossAuthorsSlope) {
  // fc: a LeakyReLU block; below zero its output is 0.01 times the ReLU network's input to it.
  NetworkOptions o;
  o.arch = "fc";
  o.input = {1, 8, 8};
  o.fc_width = 64;
  o.fc_patches = 8;
  o.activation = "leaky_relu";
  torch::manual_seed(3);
  Network leaky(o);
  torch::Tensor x = torch::randn({4, 1, 8, 8});
  torch::Tensor a = leaky->blocks[0]->ptr(1)->as<torch::nn::Linear>()->forward(x.flatten(1));
  EXPECT_TRUE(torch::allclose(leaky->blocks[0]->forward(x), torch::where(a > 0, a, 0.01 * a)));
  // Conv blocks: the training path (the module chain, not the fused ReLU kernels) and the
  // evaluation path agree, with negative outputs.
  o.arch = "simple256";
  o.input = {1, 12, 12};
  Network conv(o);
  auto* block = conv->blocks[0]->ptr(0)->as<ConvBlock>();
  ASSERT_TRUE(block);
  EXPECT_EQ(block->options().negative_slope, kLeakyReluSlope);
  conv->train(true);
  torch::Tensor in = torch::randn({6, 1, 12, 12}, torch::requires_grad());
  torch::Tensor train_out = block->forward(in);
  EXPECT_TRUE(train_out.lt(0).any().item<bool>());
  train_out.sum().backward();
  EXPECT_TRUE(in.grad().defined());
  conv->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor bn_in = block->conv->forward(in);
  torch::Tensor expect = torch::leaky_relu(block->bn->forward(bn_in), 0.01);
  EXPECT_TRUE(torch::allclose(block->forward(in), expect, 1e-5, 1e-6));
}
