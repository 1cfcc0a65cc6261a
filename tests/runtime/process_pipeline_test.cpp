// The process pipeline's schedule over real c10d point-to-point messages: every rank a thread of
// this process with its own process group over loopback, driven as the trainer drives it (its
// results summed over the ranks after every step, drain, then synchronize_model), against the
// sequential schedule on the same batches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "dcl/runtime/process_pipeline.h"
#include "dcl/stages/intra_op_threads.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

struct RankBatches {
  std::vector<torch::Tensor> x, y;
};

RankBatches rank_batches(int count, int size = 16) {
  torch::manual_seed(3);
  RankBatches b;
  for (int i = 0; i < count; ++i) {
    b.x.push_back(torch::randn({size, 1, 28, 28}));
    b.y.push_back(torch::randint(10, {size}, torch::kInt64));
  }
  return b;
}

// What one rank ended with: the results its schedule returned (unsummed), its model, and the sum
// over the ranks of every step's samples (the trainer's per-step collective).
struct RankRun {
  std::vector<StepResult> results;
  std::vector<double> summed_samples;
  Model model;
  std::string error;
  std::vector<std::string> own;
};

// Trains `method` on the batches in `epochs` passes as a pipeline of `ranks` processes.
// The model of every rank and of the sequential reference (fc, or the smallest conv network).
std::string test_arch = "fc";
Model test_model(const std::string& method) { return model(method, test_arch); }

std::vector<RankRun> run_pipeline(const std::string& method, const RankBatches& b, int ranks,
                                  ProcessPipelineOptions options, int epochs = 1, int timeout_ms = 30000,
                                  int replicas = 1) {
  static std::atomic<int> jobs{0};
  DistributedEnv env;
  env.world_size = ranks * replicas;
  env.local_world_size = ranks * replicas;
  env.master_addr = "127.0.0.1";
  env.master_port = 20000 + int((::getpid() + 7919 + 101 * jobs++) % 20000);
  std::vector<RankRun> runs(static_cast<size_t>(ranks * replicas));
  for (auto& r : runs) r.model = test_model(method);  // the same seed: every rank holds the same model
  std::vector<std::thread> threads;
  for (int rank = 0; rank < ranks * replicas; ++rank)
    threads.emplace_back([&, rank, options]() mutable {
      RankRun& run = runs[size_t(rank)];
      // Each thread's own intra-op and BLAS thread count (MKL's is per thread), as the sequential
      // reference runs: results depend on it.
      set_intra_op_threads(1);
      try {
        DistributedEnv e = env;
        e.rank = e.local_rank = rank;
        auto group = std::make_shared<ProcessGroup>(e, std::chrono::milliseconds(timeout_ms));
        // Replicas as the trainer sets them up: the ranks at one position sum their gradients,
        // each replica trains on its part of every batch.
        RankBatches mine = b;
        if (replicas > 1) {
          options.stage_ranks = ranks;
          std::vector<int> same;
          for (int d = 0; d < replicas; ++d) same.push_back(d * ranks + rank % ranks);
          options.replicas = group->subgroup(same);
          auto exchange = std::make_shared<DataParallelExchange>(options.replicas);
          exchange->set_batch_share(1.0 / replicas);
          for (auto& stage : run.model.stages)
            stage->set_gradient_hook([exchange](Stage& st) {
              exchange->start(st);
              exchange->finish(st);
            });
          for (size_t i = 0; i < b.x.size(); ++i) {
            mine.x[i] = b.x[i].chunk(replicas)[size_t(rank / ranks)];
            mine.y[i] = b.y[i].chunk(replicas)[size_t(rank / ranks)];
          }
        }
        auto& pipeline = use_process_pipeline(run.model, method, group, options);
        auto record = [&](const std::vector<StepResult>& results) {
          for (const StepResult& r : results) {
            run.results.push_back(r);
            run.summed_samples.push_back(with_peer_diagnosis(*group, "the step's metrics", [&] {
              return group->all_reduce_sum(std::vector<double>{double(r.samples)});
            })[0]);
          }
        };
        for (int epoch = 0; epoch < epochs; ++epoch) {
          for (size_t i = 0; i < mine.x.size(); ++i) record(run.model.schedule->push(mine.x[i], mine.y[i]));
          record(run.model.schedule->drain());
          run.model.schedule->synchronize_model();
        }
        run.own = pipeline.own_stages();
        group->barrier();
      } catch (const std::exception& ex) {
        run.error = ex.what();
      }
    });
  for (auto& t : threads) t.join();
  return runs;
}

std::vector<StepResult> train_sequentially(Model& m, const RankBatches& b, int epochs = 1) {
  std::vector<StepResult> out;
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (size_t i = 0; i < b.x.size(); ++i) out.push_back(m.schedule->step(b.x[i], b.y[i]));
  return out;
}

void expect_same_rank_state(Model& a, Model& b, const std::string& what) {
  auto sa = a.named_state(), sb = b.named_state();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i)
    EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << what << ": " << sa[i].first << " differs";
}

// The last rank completes every step's result; the others contribute nothing to the sum.
void expect_results_as_sequential(std::vector<RankRun>& runs, const std::vector<StepResult>& want,
                                  const std::string& what) {
  for (auto& run : runs) {
    ASSERT_EQ(run.error, "") << what;
    ASSERT_EQ(run.results.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(run.summed_samples[i], double(want[i].samples)) << what;
  }
  const auto& got = runs.back().results;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].train_loss, want[i].train_loss) << what << ", batch " << i;
    EXPECT_EQ(got[i].block_losses, want[i].block_losses) << what << ", batch " << i;
    EXPECT_EQ(got[i].correct, want[i].correct) << what << ", batch " << i;
  }
}

ProcessPipelineOptions pipeline_options(bool synchronous, int depth = 1) {
  ProcessPipelineOptions o;
  o.synchronous = synchronous;
  o.depth = depth;
  return o;
}

}  // namespace

// --pipeline-sync: the adaptive dictionary's updates in sequential's order, bit for bit, on two and
// three processes, over two epochs (the end of an epoch drains the pipeline and synchronises every
// rank's model, which the next epoch continues from).
TEST(ProcessPipelineE2E, SynchronousEqualsSequentialBitForBitWithTheAdaptiveDictionary) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(5);
  Model sequential = model("dcl");
  auto want = train_sequentially(sequential, b, 2);
  for (int ranks : {2, 3}) {
    auto runs = run_pipeline("dcl", b, ranks, pipeline_options(true), 2);
    const std::string what = "dcl on " + std::to_string(ranks) + " processes";
    expect_results_as_sequential(runs, want, what);
    for (auto& run : runs) expect_same_rank_state(sequential, run.model, what);
    if (ranks == 3) {
      EXPECT_EQ(runs[1].own, std::vector<std::string>{"block1"});
    }
  }
}

// Stages that share nothing (DCL-S's dictionary is fixed) see the same inputs in the same order
// however far apart the ranks run: the asynchronous process pipeline is exact too.
TEST(ProcessPipelineE2E, AsynchronousIsExactWhenStagesShareNothing) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(6);
  Model sequential = model("dcl-s");
  auto want = train_sequentially(sequential, b);
  for (int depth : {1, 2}) {
    auto runs = run_pipeline("dcl-s", b, 2, pipeline_options(false, depth));
    const std::string what = "dcl-s, depth " + std::to_string(depth);
    expect_results_as_sequential(runs, want, what);
    for (auto& run : runs) expect_same_rank_state(sequential, run.model, what);
  }
}

// Asynchronous DCL: every batch is trained, the dictionary moves, and after the synchronisation every
// rank holds the same model; rank 0's dictionary lacked at most W batches' downstream updates, so
// the losses stay close to sequential's.
TEST(ProcessPipelineE2E, AsynchronousDictionaryIsFoldedAndEveryRankEndsAlike) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(8);
  Model sequential = model("dcl");
  auto want = train_sequentially(sequential, b);
  Model untrained = model("dcl");
  auto runs = run_pipeline("dcl", b, 3, pipeline_options(false, 1));
  for (auto& run : runs) ASSERT_EQ(run.error, "");
  ASSERT_EQ(runs.back().results.size(), 8u);
  for (auto& run : runs) expect_same_rank_state(runs[0].model, run.model, "rank 0 against another rank");
  torch::Tensor dictionary = runs[0].model.shared[0].second->parameters()[0].detach();
  torch::Tensor initial = untrained.shared[0].second->parameters()[0].detach();
  EXPECT_FALSE(torch::equal(dictionary, initial));
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(std::isfinite(runs.back().results[i].train_loss));
    EXPECT_NEAR(runs.back().results[i].train_loss, want[i].train_loss, 0.05 * want[i].train_loss) << "batch " << i;
  }
  // The first batch runs on every rank alike, the second starts from its dictionary: both exact.
  EXPECT_EQ(runs.back().results[0].train_loss, want[0].train_loss);
  EXPECT_EQ(runs.back().results[1].block_losses[0], want[1].block_losses[0]);
}

// A NaN loss on rank 0: its error names the stage, and rank 1, left waiting, ends within the timeout
// (rank 0 still answers its heartbeats here, so rank 1 says a peer failed on its own; a failed
// process exits, and the launcher stops the others).
TEST(ProcessPipelineE2E, AStageErrorEndsTheJobNamingTheRank) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(4);
  b.x[2] = torch::full_like(b.x[2], std::numeric_limits<float>::quiet_NaN());
  auto runs = run_pipeline("dcl-s", b, 2, pipeline_options(false, 1), 1, 3000);
  EXPECT_NE(runs[0].error.find("loss of stage block0 is nan"), std::string::npos) << runs[0].error;
  EXPECT_NE(runs[1].error.find("rank 1: "), std::string::npos) << runs[1].error;
  EXPECT_NE(runs[1].error.find("a peer failed on its own"), std::string::npos) << runs[1].error;
}

// Two replicas of a 2-process pipeline (4 ranks): each replica trains on half of every batch and
// the ranks at one position sum their stages' gradients, so the job trains as one process on the
// whole batches, to float rounding; DCL-S asynchronous, DCL synchronous (its dictionary's
// gradients are summed too). Every rank ends with the same model.
TEST(ProcessPipelineE2E, DataParallelReplicasOfAPipelineTrainAsOneProcessOnTheWholeBatch) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(5, 32);
  for (const char* method : {"dcl-s", "dcl"}) {
    Model sequential = model(method);
    auto want = train_sequentially(sequential, b);
    auto runs = run_pipeline(method, b, 2, pipeline_options(std::string(method) == "dcl", 1), 1, 30000, 2);
    for (auto& run : runs) ASSERT_EQ(run.error, "") << method;
    // The last rank of each replica completes its half's results; their sum is the whole batch's.
    for (size_t i = 0; i < want.size(); ++i) {
      const StepResult &r1 = runs[1].results[i], &r3 = runs[3].results[i];
      EXPECT_EQ(runs[0].summed_samples[i], 32.0);
      EXPECT_NEAR((r1.train_loss * r1.samples + r3.train_loss * r3.samples) / 32.0, want[i].train_loss,
                  1e-5 * want[i].train_loss)
          << method << ", batch " << i;
    }
    // The weights: Adam moves an element by up to about lr per step whatever its gradient's size, so
    // an element whose gradient is near zero may move differently under another summation order;
    // the bound is the 5 steps' lr (the losses above are the exactness check).
    auto s = sequential.named_state();
    for (auto& run : runs) {
      auto got = run.model.named_state();
      for (size_t k = 0; k < s.size(); ++k)
        EXPECT_TRUE(torch::allclose(got[k].second, s[k].second, 0.0, 5e-3)) << method << ": " << s[k].first;
    }
  }
}

// InfoPro's decoder reconstructs the images in every block: the images travel with the batch to
// the ranks whose losses read them, and the asynchronous pipeline stays exact.
TEST(ProcessPipelineE2E, ImagesTravelToTheLossesThatReadThem) {
  set_intra_op_threads(1);
  RankBatches b = rank_batches(4, 8);
  test_arch = "simple256";
  Model sequential = test_model("ll-contrec");
  auto want = train_sequentially(sequential, b);
  auto runs = run_pipeline("ll-contrec", b, 2, pipeline_options(false, 1));
  test_arch = "fc";
  expect_results_as_sequential(runs, want, "ll-contrec");
  for (auto& run : runs) expect_same_rank_state(sequential, run.model, "ll-contrec");
}
