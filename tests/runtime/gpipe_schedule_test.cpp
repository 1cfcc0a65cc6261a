// BP as a GPipe pipeline over two ranks (threads of this process, c10d over loopback): the same
// gradient as one BP step on the whole batch, up to the order of float sums (the fc network has no
// BatchNorm, so its micro-batches change nothing else).
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "dcl/runtime/gpipe_schedule.h"
#include "dcl/stages/intra_op_threads.h"
#include "test_models.h"

using namespace dcl;

TEST(GPipeScheduleE2E, TwoRanksTrainAsOneBpProcess) {
  set_intra_op_threads(1);
  torch::manual_seed(5);
  std::vector<torch::Tensor> xs, ys;
  for (int i = 0; i < 4; ++i) {
    xs.push_back(torch::randn({24, 1, 28, 28}));
    ys.push_back(torch::randint(10, {24}, torch::kInt64));
  }
  Model whole = test_models::model("bp");
  std::vector<double> want;
  for (size_t i = 0; i < xs.size(); ++i) want.push_back(whole.schedule->step(xs[i], ys[i]).train_loss);

  DistributedEnv env;
  env.world_size = env.local_world_size = 2;
  env.master_addr = "127.0.0.1";
  env.master_port = 20000 + int((::getpid() + 4409) % 20000);
  std::vector<Model> models;
  for (int r = 0; r < 2; ++r) models.push_back(test_models::model("bp"));
  std::vector<std::vector<StepResult>> results(2);
  std::vector<std::vector<std::string>> split(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] {
      set_intra_op_threads(1);  // per thread: MKL's count is
      try {
        DistributedEnv e = env;
        e.rank = e.local_rank = rank;
        auto group = std::make_shared<ProcessGroup>(e, std::chrono::milliseconds(30000));
        Model& m = models[size_t(rank)];
        GPipeSchedule gpipe(m.net, m.stages.front(), group, 3);
        for (size_t i = 0; i < xs.size(); ++i)
          for (auto& r : gpipe.push(xs[i], ys[i])) results[size_t(rank)].push_back(r);
        gpipe.synchronize_model();
        split[size_t(rank)] = gpipe.stages_by_rank()[size_t(rank)];
        group->barrier();
      } catch (const std::exception& ex) {
        errors[size_t(rank)] = ex.what();
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  ASSERT_EQ(results[1].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(results[1][i].train_loss, want[i], 1e-5 * want[i]) << "step " << i;
    EXPECT_EQ(results[1][i].samples, 24);
    EXPECT_EQ(results[0][i].samples, 0);  // only the last rank's result counts in the sum
  }
  EXPECT_EQ(split[1].back(), "head");
  // Each rank trained its own part: together they hold the whole BP model's parameters.
  auto expect_close = [](torch::nn::Module& got, torch::nn::Module& ref, const std::string& what) {
    auto g = got.parameters(), r = ref.parameters();
    ASSERT_EQ(g.size(), r.size());
    for (size_t k = 0; k < g.size(); ++k) EXPECT_TRUE(torch::allclose(g[k], r[k], 1e-4, 1e-5)) << what;
  };
  for (size_t i = 0; i < whole.net->blocks.size(); ++i) {
    const std::string name = "block" + std::to_string(i);
    const bool on_rank0 = std::find(split[0].begin(), split[0].end(), name) != split[0].end();
    expect_close(*models[on_rank0 ? 0 : 1].net->blocks[i], *whole.net->blocks[i], name);
  }
  expect_close(*models[1].net->head, *whole.net->head, "head");
}
