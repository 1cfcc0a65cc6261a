// The local-loss family (Nokland & Eidnes): where the local losses read a block's output.
#include <gtest/gtest.h>

#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

Model with_dropout(bool loss_before_dropout) {
  RunConfig c = config("ll-predsim");
  c.dropout = 0.5;
  c.methods.set("ll_loss_before_dropout", loss_before_dropout);
  return model(c, {1, 8, 8}, 7);
}

}  // namespace

TEST(LocalError, TheLossesReadABlocksOutputBeforeItsDropoutWhichTheNextBlockApplies) {
  // anokland/local-loss: a block's local losses see its output before dropout; the dropped-out
  // output is the next block's input.
  Model m = with_dropout(true);
  m.train(true);
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({16, 1, 8, 8});
  torch::Tensor seen = m.stages[0]->forward(x);  // what block 0's losses read
  torch::Tensor plain;
  {
    // The same block in evaluation mode: dropout is the identity, nothing else differs for fc.
    m.net->blocks[0]->eval();
    plain = m.net->blocks[0]->forward(x);
    m.net->blocks[0]->train(true);
  }
  EXPECT_TRUE(torch::allclose(seen, plain));
  // Block 1 receives block 0's output through its dropout: half of its values zeroed, the rest x2 (ReLU already zeroed
  // about half).
  torch::Tensor entering = m.stages[1]->block().children()[0]->as<torch::nn::Dropout>()->forward(seen);
  EXPECT_GT(entering.eq(0).sum().item<int64_t>(), seen.eq(0).sum().item<int64_t>() + seen.numel() / 8);
  // The network it trains is the same: the stages chained in evaluation mode give its forward.
  m.train(false);
  torch::NoGradGuard no_grad;
  torch::Tensor h = x;
  for (auto& s : m.stages) h = s->forward(h);
  EXPECT_TRUE(torch::allclose(h, m.net->forward(x)));
  // Before the reference's placement (false): block 0's losses read the dropped-out output.
  Model after = with_dropout(false);
  after.train(true);
  torch::Tensor dropped = after.stages[0]->forward(x);
  EXPECT_GT(dropped.eq(0).sum().item<int64_t>(), seen.eq(0).sum().item<int64_t>() + seen.numel() / 8);
}
