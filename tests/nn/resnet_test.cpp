// The ResNets' local modules against the cited split points (InfoPro-Pytorch networks/configs.py,
// AugLocal networks/configs.py) and hand-counted parameters.
#include <gtest/gtest.h>

#include "dcl/nn/arch.h"
#include "dcl/nn/network.h"

using namespace dcl;

namespace {

Network resnet(const std::string& arch, int modules, InputShape in = {3, 32, 32}) {
  NetworkOptions o;
  o.arch = arch;
  o.input = in;
  o.local_modules = modules;
  return Network(o);
}

int64_t count(torch::nn::Module& m) {
  int64_t n = 0;
  for (auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

TEST(ResNet, InfoProSplitPointsWhereItsTableHasK) {
  // resnet32, K = 4: [[1, 2], [2, 1], [3, 0]] -> after units 3, 7 and 11 (the stem is unit 0).
  EXPECT_EQ(resnet("resnet32", 4)->block_last_unit, (std::vector<int>{3, 7, 11, 15}));
  // K = 2: [[2, 1]] -> unit 1 + 5 + 1.
  EXPECT_EQ(resnet("resnet32", 2)->block_last_unit, (std::vector<int>{7, 15}));
  // resnet110, K = 8: [[1, 4], [1, 11], [2, 0], [2, 7], [2, 14], [3, 3], [3, 10]].
  EXPECT_EQ(resnet("resnet110", 8, {3, 16, 16})->block_last_unit, (std::vector<int>{5, 12, 19, 26, 33, 40, 47, 54}));
}

TEST(ResNet, AugLocalSplitPointsOtherwise) {
  // No InfoPro entry for K = 5: the first K - 1 units each a module, the rest the last one.
  EXPECT_EQ(resnet("resnet32", 5)->block_last_unit, (std::vector<int>{0, 1, 2, 3, 15}));
  Network r110 = resnet("resnet110", 55, {3, 16, 16});
  ASSERT_EQ(r110->blocks.size(), 55u);  // one unit per module: AugLocal's K = 55
  for (int k = 0; k < 55; ++k) EXPECT_EQ(r110->block_last_unit[k], k);
  EXPECT_EQ(resnet("resnet56", 3)->block_last_unit, (std::vector<int>{0, 1, 27}));
}

TEST(ResNet, ModuleParametersAreTheHandCountedOnes) {
  Network n = resnet("resnet32", 4);
  // Module 0: the stem (3*16*9 conv + 2*16 BN = 464) and three 16->16 basic blocks
  // (2 * (16*16*9 + 2*16) = 4672 each).
  EXPECT_EQ(count(*n->blocks[0]), 464 + 3 * 4672);
  // Module 1: two 16->16 blocks, the 16->32 stride-2 block (16*32*9 + 64 + 32*32*9 + 64, and its
  // projection 16*32 + 64 = 14528) and a 32->32 block (2 * (32*32*9 + 64) = 18560).
  EXPECT_EQ(count(*n->blocks[1]), 2 * 4672 + 14528 + 18560);
  // The whole network: InfoPro's ResNet-32 with projection shortcuts, and a 64 -> 10 classifier.
  EXPECT_EQ(n->parameter_count(), 466906);
  EXPECT_EQ(n->output_sizes.back(), (std::vector<int64_t>{64, 8, 8}));
  EXPECT_EQ(n->shapes[0].channels, 16);
  EXPECT_EQ(n->shapes[3].channels, 64);
}

TEST(ResNet, TheWeightsDoNotDependOnHowTheUnitsAreGrouped) {
  torch::manual_seed(5);
  auto a = resnet("resnet32", 4)->parameters();
  torch::manual_seed(5);
  auto b = resnet("resnet32", 16)->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
}

TEST(ResNet, ImageNetStemOnlyFromLargeInputs) {
  Network small = resnet("resnet18", 4, {3, 32, 32}), large = resnet("resnet18", 4, {3, 128, 128});
  EXPECT_EQ(small->output_sizes[0], (std::vector<int64_t>{64, 32, 32}));  // 3x3 stride-1 stem, no pool
  EXPECT_EQ(large->output_sizes[0], (std::vector<int64_t>{64, 32, 32}));  // 7x7 stride 2 and the max-pool
  EXPECT_EQ(resnet("resnet50", 17, {3, 32, 32})->output_sizes.back(), (std::vector<int64_t>{2048, 4, 4}));
}

TEST(ResNet, TooManyModulesOrTooSmallInputsAreClearErrors) {
  try {
    resnet("resnet32", 17);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at most 16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resnet("resnet32", 4, {3, 6, 6}), std::invalid_argument);
  EXPECT_EQ(arch_info("resnet110").max_local_modules, 55);
}
