#pragma once
// Confusion between labels and its relation to their embeddings' similarity (spec section 6,
// Figure 7). Plain C++: matrices are row-major.
#include <cstdint>
#include <vector>

namespace dcl::analysis {

// counts[t * z + p]: test samples of true label t predicted as p.
std::vector<int64_t> confusion_counts(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted, int z);

// One unordered pair of labels i < j: how often either is taken for the other,
//   rate = (counts[i][j] + counts[j][i]) / (n_i + n_j),   n_t = samples of true label t,
// beside the similarity of their embeddings.
struct PairConfusion {
  int i = 0, j = 0;
  double rate = 0;
  double similarity = 0;
};
// Every pair whose two labels occur in the test set (z (z-1) / 2 when all do).
std::vector<PairConfusion> pair_confusion(const std::vector<int64_t>& counts, const std::vector<double>& similarity,
                                          int z);

// Spearman's rank correlation (average ranks for ties); NaN when either side is constant or
// there are fewer than 3 values.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace dcl::analysis
