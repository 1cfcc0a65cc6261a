#include "dcl/report/confusion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace dcl::analysis {

std::vector<int64_t> confusion_counts(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted, int z) {
  if (truth.size() != predicted.size())
    throw std::invalid_argument("confusion: " + std::to_string(truth.size()) + " labels but " +
                                std::to_string(predicted.size()) + " predictions");
  std::vector<int64_t> counts(size_t(z) * size_t(z), 0);
  for (size_t n = 0; n < truth.size(); ++n) {
    if (truth[n] < 0 || truth[n] >= z || predicted[n] < 0 || predicted[n] >= z)
      throw std::invalid_argument("confusion: label " + std::to_string(truth[n]) + " or prediction " +
                                  std::to_string(predicted[n]) + " outside [0, " + std::to_string(z) + ")");
    ++counts[size_t(truth[n] * z + predicted[n])];
  }
  return counts;
}

std::vector<PairConfusion> pair_confusion(const std::vector<int64_t>& counts, const std::vector<double>& similarity,
                                          int z) {
  if (counts.size() != size_t(z) * size_t(z) || similarity.size() != counts.size())
    throw std::invalid_argument("pair_confusion: the counts and the similarities must both be " + std::to_string(z) +
                                " x " + std::to_string(z));
  std::vector<int64_t> n(size_t(z), 0);
  for (int t = 0; t < z; ++t)
    for (int p = 0; p < z; ++p) n[size_t(t)] += counts[size_t(t * z + p)];
  std::vector<PairConfusion> pairs;
  for (int i = 0; i < z; ++i)
    for (int j = i + 1; j < z; ++j) {
      if (n[size_t(i)] == 0 || n[size_t(j)] == 0) continue;
      double mixed = double(counts[size_t(i * z + j)] + counts[size_t(j * z + i)]);
      pairs.push_back({i, j, mixed / double(n[size_t(i)] + n[size_t(j)]), similarity[size_t(i * z + j)]});
    }
  return pairs;
}

namespace {

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t start = 0; start < idx.size();) {
    size_t end = start;
    while (end + 1 < idx.size() && v[idx[end + 1]] == v[idx[start]]) ++end;
    double r = 0.5 * double(start + end) + 1.0;  // ranks from 1; ties share their mean
    for (size_t k = start; k <= end; ++k) rank[idx[k]] = r;
    start = end + 1;
  }
  return rank;
}

}  // namespace

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("spearman: the two samples differ in size");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.size() < 3) return nan;
  std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / double(rx.size());
  double my = std::accumulate(ry.begin(), ry.end(), 0.0) / double(ry.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t k = 0; k < rx.size(); ++k) {
    sxy += (rx[k] - mx) * (ry[k] - my);
    sxx += (rx[k] - mx) * (rx[k] - mx);
    syy += (ry[k] - my) * (ry[k] - my);
  }
  if (sxx == 0 || syy == 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace dcl::analysis
