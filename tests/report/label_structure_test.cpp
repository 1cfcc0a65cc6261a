// Label-embedding structure and confusion statistics against values computed by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "dcl/report/confusion.h"
#include "dcl/report/label_structure.h"

namespace dcl::analysis {
namespace {

const double kHalfSqrt2 = std::sqrt(0.5);

TEST(LabelStructure, CosineSimilarityOfHandPickedVectors) {
  // (1,0), (1,1), (0,1), (-2,0): angles 0, 45, 90 and 180 degrees.
  std::vector<double> s = cosine_similarity_matrix({1, 0, 1, 1, 0, 1, -2, 0}, 4, 2);
  ASSERT_EQ(s.size(), 16u);
  EXPECT_NEAR(s[0 * 4 + 1], kHalfSqrt2, 1e-12);
  EXPECT_NEAR(s[0 * 4 + 2], 0, 1e-12);
  EXPECT_NEAR(s[0 * 4 + 3], -1, 1e-12);
  EXPECT_NEAR(s[1 * 4 + 2], kHalfSqrt2, 1e-12);
  EXPECT_NEAR(s[1 * 4 + 3], -kHalfSqrt2, 1e-12);
  EXPECT_NEAR(s[3 * 4 + 1], -kHalfSqrt2, 1e-12);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s[size_t(i * 5)], 1.0);
  EXPECT_THROW(cosine_similarity_matrix({1, 2, 3}, 2, 2), std::invalid_argument);
}

TEST(LabelStructure, NeighboursAndTheSameGroupShare) {
  std::vector<double> s = cosine_similarity_matrix({1, 0, 1, 1, 0, 1, -2, 0}, 4, 2);
  auto nn = nearest_neighbours(s, 4, 2);
  EXPECT_EQ(nn[0], (std::vector<int>{1, 2}));
  EXPECT_EQ(nn[1], (std::vector<int>{0, 2}));  // a tie at 1/sqrt(2): the lower index first
  EXPECT_EQ(nn[2], (std::vector<int>{1, 0}));  // 0 and 3 tie at 0
  EXPECT_EQ(nn[3], (std::vector<int>{2, 1}));
  // Groups {0, 1} and {2, 3}: nearest neighbours 1, 0, 1, 2 -> 3 of 4 in their own group; a random
  // other label is in the own group with probability 1/3.
  NeighbourShare share = same_group_neighbour_share(s, {0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(share.observed, 0.75);
  EXPECT_NEAR(share.chance, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(share.labels, 4);
}

TEST(LabelStructure, AverageLinkageMergesByMeanDistance) {
  // Distances 1 - s: d01 = 0.1, d02 = 0.9, d12 = 0.7, d03 = 0.6, d13 = 0.8, d23 = 0.2.
  std::vector<double> s = {1, 0.9, 0.1, 0.4, 0.9, 1, 0.3, 0.2, 0.1, 0.3, 1, 0.8, 0.4, 0.2, 0.8, 1};
  Clustering c = average_linkage(s, 4);
  ASSERT_EQ(c.merges.size(), 3u);
  EXPECT_EQ(c.merges[0].a, 0);
  EXPECT_EQ(c.merges[0].b, 1);
  EXPECT_NEAR(c.merges[0].height, 0.1, 1e-12);
  EXPECT_EQ(c.merges[1].a, 2);
  EXPECT_EQ(c.merges[1].b, 3);
  EXPECT_NEAR(c.merges[1].height, 0.2, 1e-12);
  // Cluster 4 = {0, 1} and 5 = {2, 3}: the mean of d02, d03, d12, d13 = (0.9 + 0.6 + 0.7 + 0.8) / 4.
  EXPECT_EQ(c.merges[2].a, 4);
  EXPECT_EQ(c.merges[2].b, 5);
  EXPECT_NEAR(c.merges[2].height, 0.75, 1e-12);
  EXPECT_EQ(c.merges[2].size, 4);
  EXPECT_EQ(c.order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Confusion, CountsAndPairRates) {
  std::vector<int64_t> counts = confusion_counts({0, 0, 0, 1, 1, 2}, {0, 1, 1, 1, 0, 2}, 3);
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2, 0, 1, 1, 0, 0, 0, 1}));
  std::vector<double> sim = {1, 0.5, 0.1, 0.5, 1, 0.2, 0.1, 0.2, 1};
  auto pairs = pair_confusion(counts, sim, 3);
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].i, 0);
  EXPECT_EQ(pairs[0].j, 1);
  EXPECT_DOUBLE_EQ(pairs[0].rate, 3.0 / 5.0);  // (2 + 1) confusions among 3 + 2 samples
  EXPECT_DOUBLE_EQ(pairs[0].similarity, 0.5);
  EXPECT_DOUBLE_EQ(pairs[1].rate, 0.0);
  EXPECT_DOUBLE_EQ(pairs[2].similarity, 0.2);
  EXPECT_THROW(confusion_counts({0, 3}, {0, 0}, 3), std::invalid_argument);
  EXPECT_THROW(confusion_counts({0}, {0, 0}, 3), std::invalid_argument);
}

TEST(Confusion, SpearmanWithTies) {
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {10, 20, 35, 40}), 1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  // Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): 4.5 / sqrt(4.5 * 5).
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(22.5), 1e-12);
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2})));
}

}  // namespace
}  // namespace dcl::analysis
