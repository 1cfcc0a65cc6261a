// Divergence: a non-finite loss, a finite loss grown by orders of magnitude, non-finite predictions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dcl/training/divergence.h"

using dcl::DivergenceCheck;

TEST(DivergenceCheck, OrdinaryTrainingPasses) {
  DivergenceCheck d;
  // Falling losses, a spike of 50x, block losses above the head's: all normal.
  double losses[] = {2.3, 1.5, 0.9, 45.0, 0.4, 0.2};
  for (int step = 0; step < 6; ++step) EXPECT_NO_THROW(d.observe_step(losses[step], {losses[step] * 3, 1.0}, 0, step));
  EXPECT_NO_THROW(DivergenceCheck::check_evaluation(0.7, 0));
}

TEST(DivergenceCheck, AnExplodingFiniteLossEndsTheRun) {
  DivergenceCheck d;
  d.observe_step(2.3, {2.3}, 0, 1);
  d.observe_step(80.0, {80.0}, 0, 2);
  try {
    d.observe_step(5e14, {3.0}, 1, 3);  // CaFo at --lr 1e6
    FAIL();
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("diverged at epoch 2, step 3"), std::string::npos) << m;
    EXPECT_NE(m.find("5e+14"), std::string::npos) << m;
    EXPECT_NE(m.find("--lr"), std::string::npos) << m;
  }
  DivergenceCheck blocks;
  blocks.observe_step(0.5, {0.7}, 0, 1);
  EXPECT_THROW(blocks.observe_step(0.5, {2000.0}, 0, 2), std::runtime_error);  // a block loss counts as well
}

TEST(DivergenceCheck, NaNLossesAndPredictionsEndTheRun) {
  DivergenceCheck d;
  EXPECT_THROW(d.observe_step(std::nan(""), {}, 0, 1), std::runtime_error);
  DivergenceCheck e;
  EXPECT_THROW(e.observe_step(1.0, {std::numeric_limits<double>::infinity()}, 0, 1), std::runtime_error);
  EXPECT_THROW(DivergenceCheck::check_evaluation(std::nan(""), 3), std::runtime_error);
}
