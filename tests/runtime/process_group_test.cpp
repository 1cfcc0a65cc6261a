// Point-to-point messages between two ranks of a job (the process pipeline's activations), over
// loopback: two ranks in two threads of this process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "dcl/runtime/distributed.h"

using namespace dcl;

TEST(ProcessGroupE2E, SentTensorsArriveWholeAndAreMatchedByTag) {
  DistributedEnv env;
  env.world_size = 2;
  env.local_world_size = 2;
  env.master_addr = "127.0.0.1";
  env.master_port = 20000 + int((::getpid() + 9973) % 20000);
  const std::chrono::milliseconds timeout(20000);
  torch::Tensor a = torch::arange(12, torch::kFloat).view({3, 4}).t();  // not contiguous: sent as values
  torch::Tensor b = torch::randn({2, 3, 5}, torch::kDouble);
  torch::Tensor labels = torch::randint(10, {7}, torch::kInt64);
  torch::Tensor got_a = torch::zeros({4, 3}), got_b = torch::zeros({2, 3, 5}, torch::kDouble),
                got_labels = torch::zeros({7}, torch::kInt64);
  std::string peer_error;
  std::thread peer([&] {
    try {
      DistributedEnv e = env;
      e.rank = e.local_rank = 1;
      ProcessGroup group(e, timeout);
      // Received in another order than sent: the tags pair them up.
      group.recv(got_labels, 0, 3);
      group.recv(got_b, 0, 2);
      group.recv(got_a, 0, 1);
      group.barrier();
    } catch (const std::exception& e) {
      peer_error = e.what();
    }
  });
  {
    ProcessGroup group(env, timeout);
    auto sa = group.send_async(a, 1, 1);
    auto sb = group.send_async(b, 1, 2);
    auto sl = group.send_async(labels, 1, 3);
    sa->wait();
    sb->wait();
    sl->wait();
    group.barrier();
  }
  peer.join();
  ASSERT_EQ(peer_error, "");
  EXPECT_TRUE(torch::equal(got_a, a));
  EXPECT_TRUE(torch::equal(got_b, b));
  EXPECT_TRUE(torch::equal(got_labels, labels));
}
