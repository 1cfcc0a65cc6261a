// The queue between pipeline threads: order, capacity, close. Plain C++, so the ThreadSanitizer
// leg runs it (scripts/sanitize.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "dcl/stages/bounded_queue.h"

using dcl::BoundedQueue;

TEST(BoundedQueue, AProducerAndAConsumerPassEveryItemInOrderWithinCapacity) {
  BoundedQueue<int> q(2);
  std::atomic<int> produced{0};
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(q.push(i));
      ++produced;
    }
    q.close();
  });
  std::vector<int> got;
  while (auto v = q.pop()) {
    // The producer is never more than the capacity (+1 in its hand) ahead of the consumer.
    EXPECT_LE(produced.load() - int(got.size()), 3);
    got.push_back(*v);
  }
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[size_t(i)], i);
}

TEST(BoundedQueue, CloseWakesABlockedPusherAndPopsWhatIsLeft) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.push(1));
  std::atomic<bool> pushed{true};
  std::thread blocked([&] { pushed = q.push(2); });  // full: waits until closed
  q.close();
  blocked.join();
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(q.try_pop().value_or(-1), 1);
  EXPECT_FALSE(q.pop().has_value());
  EXPECT_FALSE(q.push(3));
}
