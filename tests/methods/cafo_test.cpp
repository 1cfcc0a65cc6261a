// CaFo: frozen random blocks, trained per-block predictors, summed prediction (spec section 5).
#include <gtest/gtest.h>

#include "dcl/losses/predictor_loss.h"
#include "dcl/nn/conv_block.h"
#include "dcl/training/checkpoint.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

TEST(Cafo, BlocksStayBitIdenticalWhilePredictorsLearn) {
  Model m = model("cafo", "simple256", {1, 12, 12}, 31);
  auto blocks_before = clones(m.net->parameters());
  auto buffers_before = clones(m.net->buffers());  // BatchNorm running statistics too
  std::vector<torch::Tensor> predictors_before;
  for (auto& s : m.stages) predictors_before.push_back(s->loss().parameters()[0].detach().clone());
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({16, 1, 12, 12}), y = torch::randint(10, {16}, torch::kInt64);
  for (int i = 0; i < 3; ++i) {
    m.train(true);  // as the trainer does every epoch: frozen stages keep their blocks in eval mode
    m.schedule->step(x, y);
  }
  for (auto& s : m.stages) EXPECT_FALSE(s->block().is_training()) << s->name();
  auto blocks_after = m.net->parameters();
  for (size_t i = 0; i < blocks_before.size(); ++i)
    EXPECT_TRUE(torch::equal(blocks_before[i], blocks_after[i].detach()));
  auto buffers_after = m.net->buffers();
  for (size_t i = 0; i < buffers_before.size(); ++i) EXPECT_TRUE(torch::equal(buffers_before[i], buffers_after[i]));
  for (size_t l = 0; l < m.stages.size(); ++l)
    EXPECT_FALSE(torch::equal(predictors_before[l], m.stages[l]->loss().parameters()[0].detach())) << "predictor " << l;
  // Only the predictors learn: no head stage, and no stage's optimiser holds a block parameter.
  EXPECT_EQ(m.stages.size(), m.net->blocks.size());
  for (auto& s : m.stages) EXPECT_EQ(s->parameters().size(), 1u) << s->name();  // W (bias-free, as theirs)
}

TEST(Cafo, PredictionIsTheSumOfThePredictorsDistributions) {
  Model m = model("cafo", "fc", {1, 28, 28}, 31);
  torch::NoGradGuard no_grad;
  m.train(false);
  torch::Tensor x = torch::randn({5, 1, 28, 28});
  torch::Tensor h0 = m.net->blocks[0]->forward(x), h1 = m.net->blocks[1]->forward(h0);
  auto* p0 = loss_of<PredictorLoss>(m, "block0");
  auto* p1 = loss_of<PredictorLoss>(m, "block1");
  ASSERT_TRUE(p0 && p1);
  EXPECT_EQ(p0->predictor->weight.sizes(), (std::vector<int64_t>{10, 1024}));
  torch::Tensor sum = torch::softmax(p0->scores(h0), 1) + torch::softmax(p1->scores(h1), 1);
  Prediction got = m.readout->predict(x);
  EXPECT_TRUE(torch::allclose(got.scores.exp() * 2, sum, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(got.scores.argmax(1), sum.argmax(1)));
  ASSERT_EQ(got.layer_scores.size(), 2u);  // each predictor is a layer-wise prediction
}

TEST(Cafo, PredictorsAreBiasFreeAndStartAtOnesAsTheAuthors) {
  Model m = model("cafo");
  for (auto& s : m.stages) {
    auto* p = loss_of<PredictorLoss>(m, s->name());
    ASSERT_TRUE(p) << s->name();
    EXPECT_FALSE(p->predictor->bias.defined()) << s->name();
    EXPECT_TRUE(torch::equal(p->predictor->weight, torch::ones_like(p->predictor->weight))) << s->name();
  }
  RunConfig c = config("cafo");
  c.methods.set("cafo_ones_init", false);  // LibTorch's default init: random weights
  Model d = model(c, {1, 28, 28}, 31);
  auto* p = loss_of<PredictorLoss>(d, "block0");
  EXPECT_GT(p->predictor->weight.std().item<double>(), 0);
}

TEST(Cafo, PredictorBiasIsASettingThatShapesTheCheckpoint) {
  // --cafo-predictor-bias true: a learned bias per predictor (the authors' block.py has none).
  RunConfig c = config("cafo");
  c.methods.set("cafo_predictor_bias", true);
  Model m = model(c, {1, 28, 28}, 31);
  for (auto& s : m.stages) {
    auto* p = loss_of<PredictorLoss>(m, s->name());
    ASSERT_TRUE(p) << s->name();
    EXPECT_TRUE(p->predictor->bias.defined()) << s->name();
    EXPECT_EQ(s->parameters().size(), 2u) << s->name();  // W and b
  }
  // Declared as shaping tensors: part of the checkpoint identity, so a run with biases cannot be
  // loaded into one without.
  EXPECT_EQ(checkpoint_identity(c).at("cafo_predictor_bias"), true);
  EXPECT_EQ(checkpoint_identity(config("cafo")).at("cafo_predictor_bias"), false);
  EXPECT_FALSE(checkpoint_identity(config("dcl")).contains("cafo_predictor_bias"));
}

TEST(Cafo, PreparationGivesTheFrozenBlocksTheTrainingSetsBatchNormStatistics) {
  Model m = model("cafo", "simple256", {1, 12, 12}, 31);
  ASSERT_TRUE(m.prepare);
  torch::manual_seed(5);
  std::vector<torch::Tensor> batches = {torch::randn({8, 1, 12, 12}) * 3 + 2, torch::randn({8, 1, 12, 12}),
                                        torch::randn({4, 1, 12, 12}) - 1};
  size_t next = 0;
  std::string done = m.prepare(m, [&] { return next < batches.size() ? batches[next++] : torch::Tensor(); });
  EXPECT_EQ(next, batches.size());
  EXPECT_NE(done.find("20 training images"), std::string::npos) << done;
  // Block 0's BatchNorm: the mean of its convolution's output over all 20 images, and the
  // sample-weighted mean of the batches' unbiased variances.
  auto* block = m.net->blocks[0]->ptr(0)->as<ConvBlock>();
  ASSERT_TRUE(block);
  torch::NoGradGuard no_grad;
  torch::Tensor mean = torch::zeros({64}), var = torch::zeros({64});
  for (auto& b : batches) {
    torch::Tensor y = block->conv->forward(b);
    mean += y.mean({0, 2, 3}) * double(b.size(0)) / 20;
    var += y.var({0, 2, 3}, /*unbiased=*/true) * double(b.size(0)) / 20;
  }
  EXPECT_TRUE(torch::allclose(block->bn->running_mean, mean, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(block->bn->running_var, var, 1e-4, 1e-5));
  // Every block's statistics moved from their initial 0 / 1, the blocks are back in evaluation
  // mode with the usual momentum, and they compute the same features for training and test.
  for (auto& b : m.net->blocks) {
    auto* c = b->ptr(0)->as<ConvBlock>();
    EXPECT_GT(c->bn->running_mean.abs().max().item<double>(), 1e-3);
    EXPECT_FALSE(c->is_training());
    EXPECT_EQ(c->bn->options.momentum().value(), 0.1);
  }
  // fc's blocks hold no BatchNorm: nothing to prepare, and no batch is read.
  Model fc = model("cafo");
  int reads = 0;
  EXPECT_EQ(fc.prepare(fc,
                       [&] {
                         ++reads;
                         return torch::Tensor();
                       }),
            "");
  EXPECT_EQ(reads, 0);
}
