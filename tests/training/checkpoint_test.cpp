// The checkpoint format: everything comes back by name, and what cannot be resumed (another run,
// a damaged file, an older format) is refused with the reason.
#include <gtest/gtest.h>

#include <fstream>

#include "data/test_files.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/run_files.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

// The message of the std::runtime_error `f` throws ("" plus a test failure when it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

}  // namespace

TEST(Checkpoint, RestoresEveryTensorEveryOptimiserAndTheProgress) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("checkpoint.pt");
  RunConfig c = config("dcl");
  Model a = model(c);
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
  save_checkpoint(path, a, p, checkpoint_identity(c));
  EXPECT_FALSE(std::ifstream(path + ".tmp"));
  Model b = model(c, {1, 28, 28}, 99);  // other initial weights
  TrainingProgress q = load_checkpoint(path, b, checkpoint_identity(c));
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

TEST(Checkpoint, AnotherMethodWithTheSameTensorsIsRefusedByName) {
  // ll-bpf and ll-pred (ff and symba alike) have the same tensors: only the identity tells them apart.
  dcl::data::test::TempDir dir;
  for (auto [saved, loading] : {std::pair{"ll-bpf", "ll-pred"}, std::pair{"ff", "symba"}}) {
    std::string path = dir.file(std::string(saved) + ".pt");
    Model a = model(saved);
    save_checkpoint(path, a, {}, checkpoint_identity(config(saved)));
    Model b = model(loading);
    std::string message = error_of([&] { load_checkpoint(path, b, checkpoint_identity(config(loading))); });
    EXPECT_NE(message.find("checkpoint " + path), std::string::npos) << message;
    EXPECT_NE(message.find("method: checkpoint \"" + std::string(saved) + "\", this run \"" + loading + "\""),
              std::string::npos)
        << message;
  }
  // A setting that shapes the tensors is named too.
  RunConfig wide = config("dcl"), narrow = config("dcl");
  wide.fc_width = 64;
  narrow.fc_width = 32;
  std::string path = dir.file("wide.pt");
  Model a = model(wide);
  save_checkpoint(path, a, {}, checkpoint_identity(wide));
  Model b = model(narrow);
  EXPECT_NE(error_of([&] { load_checkpoint(path, b, checkpoint_identity(narrow)); }).find("fc_width: checkpoint 64"),
            std::string::npos);
}

TEST(Checkpoint, DamagedBytesAreRefusedByTheChecksum) {
  dcl::data::test::TempDir dir;
  std::string path = dir.file("checkpoint.pt");
  RunConfig c = config("dcl");
  Model a = model(c);
  save_checkpoint(path, a, {}, checkpoint_identity(c));
  std::string bytes = read_text_file(path);
  // Flip bytes in the middle of the file: tensor data, which LibTorch's reader never checks.
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] = char(~bytes[i]);
  write_file_atomic(path, bytes);
  Model b = model(c);
  std::string message = error_of([&] { load_checkpoint(path, b, checkpoint_identity(c)); });
  EXPECT_NE(message.find("checkpoint " + path), std::string::npos) << message;
  EXPECT_NE(message.find("checksum"), std::string::npos) << message;
}

TEST(Checkpoint, AnOlderFormatIsRefusedWithItsReason) {
  dcl::data::test::TempDir dir;
  Model a = model("dcl");
  // A format-1 checkpoint (no format entry) and a format-2 one (no checksum) are refused with the reason.
  std::string old = dir.file("old.pt");
  torch::serialize::OutputArchive archive;
  archive.write("optimizer.0", torch::zeros({1}), true);
  archive.save_to(old);
  EXPECT_NE(error_of([&] {
              load_checkpoint(old, a, checkpoint_identity(config("dcl")));
            }).find("earlier version of dcl (checkpoint format 1)"),
            std::string::npos);
  std::string v2 = dir.file("v2.pt");
  torch::serialize::OutputArchive archive2;
  archive2.write("format", torch::tensor({int64_t(2)}), true);
  archive2.save_to(v2);
  EXPECT_NE(error_of([&] { load_checkpoint(v2, a, checkpoint_identity(config("dcl"))); }).find("checkpoint format 2"),
            std::string::npos);
  EXPECT_THROW(load_checkpoint(dir.file("missing.pt"), a, checkpoint_identity(config("dcl"))), std::runtime_error);
}
