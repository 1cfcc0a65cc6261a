// The checkpoint format: everything comes back by name, and what cannot be resumed is refused clearly.
#include <gtest/gtest.h>

#include <fstream>

#include "data/test_files.h"
#include "dcl/training/checkpoint.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

TEST(Checkpoint, RestoresEveryTensorEveryOptimiserAndTheProgress) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("checkpoint.pt");
  Model a = model("dcl");
  torch::Tensor x = torch::randn({8, 1, 28, 28}), y = torch::randint(10, {8}, torch::kInt64);
  a.schedule->step(x, y);
  TrainingProgress p;
  p.epoch = 2;
  p.batch = 7;
  p.step = 31;
  p.correct = 5;
  p.seen = 9;
  p.has_accuracy = true;
  p.block_loss_sums = {1.5, 2.5};
  save_checkpoint(path, a, p);
  Model b = model("dcl", Arch::Fc, {1, 28, 28}, 99);  // other initial weights
  TrainingProgress q = load_checkpoint(path, b);
  EXPECT_EQ(q.epoch, 2);
  EXPECT_EQ(q.batch, 7);
  EXPECT_EQ(q.step, 31);
  EXPECT_TRUE(q.has_accuracy);
  EXPECT_EQ(q.block_loss_sums, p.block_loss_sums);
  auto ta = a.named_state(), tb = b.named_state();
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first;
  // The optimiser state came back too: the next step is the same on both.
  a.schedule->step(x, y);
  b.schedule->step(x, y);
  EXPECT_TRUE(torch::equal(a.net->blocks[0]->parameters()[0], b.net->blocks[0]->parameters()[0]));
}

TEST(Checkpoint, AnotherModelOrAnOlderFormatIsRefusedByName) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("checkpoint.pt");
  Model a = model("dcl");
  save_checkpoint(path, a, {});
  Model other = model("ll-pred");
  try {
    load_checkpoint(path, other);
    FAIL() << "an ll-pred model loaded a dcl checkpoint";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint " + path), std::string::npos) << e.what();
  }
  // A format-1 checkpoint (no format entry, optimisers by position) is refused with its reason.
  std::string old = dir.file("old.pt");
  torch::serialize::OutputArchive archive;
  archive.write("optimizer.0", torch::zeros({1}), true);
  archive.save_to(old);
  try {
    load_checkpoint(old, a);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("earlier version of dcl"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_checkpoint(dir.file("missing.pt"), a), std::runtime_error);
}
