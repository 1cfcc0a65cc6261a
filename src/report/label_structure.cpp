#include "dcl/report/label_structure.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace dcl::analysis {

namespace {

void check_square(const std::vector<double>& m, int z) {
  if (z <= 0 || m.size() != size_t(z) * size_t(z))
    throw std::invalid_argument("similarity matrix of " + std::to_string(m.size()) + " values is not " +
                                std::to_string(z) + " x " + std::to_string(z));
}

}  // namespace

std::vector<double> cosine_similarity_matrix(const std::vector<double>& e, int rows, int dim) {
  if (rows <= 0 || dim <= 0 || e.size() != size_t(rows) * size_t(dim))
    throw std::invalid_argument("embeddings of " + std::to_string(e.size()) + " values are not " +
                                std::to_string(rows) + " x " + std::to_string(dim));
  std::vector<double> norm(size_t(rows), 0.0);
  for (int i = 0; i < rows; ++i)
    for (int d = 0; d < dim; ++d) norm[size_t(i)] += e[size_t(i * dim + d)] * e[size_t(i * dim + d)];
  for (double& n : norm) n = std::sqrt(n);
  std::vector<double> s(size_t(rows) * size_t(rows), 0.0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < rows; ++j) {
      double dot = 0;
      for (int d = 0; d < dim; ++d) dot += e[size_t(i * dim + d)] * e[size_t(j * dim + d)];
      double n = norm[size_t(i)] * norm[size_t(j)];
      s[size_t(i * rows + j)] = i == j ? 1.0 : (n > 0 ? dot / n : 0.0);
    }
  return s;
}

std::vector<std::vector<int>> nearest_neighbours(const std::vector<double>& s, int z, int k) {
  check_square(s, z);
  std::vector<std::vector<int>> out(static_cast<size_t>(z));
  for (int i = 0; i < z; ++i) {
    std::vector<int> others;
    for (int j = 0; j < z; ++j)
      if (j != i) others.push_back(j);
    std::stable_sort(others.begin(), others.end(),
                     [&](int a, int b) { return s[size_t(i * z + a)] > s[size_t(i * z + b)]; });
    others.resize(size_t(std::min<int>(k, int(others.size()))));
    out[size_t(i)] = others;
  }
  return out;
}

Clustering average_linkage(const std::vector<double>& s, int z) {
  check_square(s, z);
  // Active clusters: their id, their labels, and the average distances between them (kept as a
  // full matrix indexed by slot; a merge writes the new cluster into the first slot).
  std::vector<int> id(static_cast<size_t>(z));
  std::vector<std::vector<int>> members(static_cast<size_t>(z));
  std::vector<double> dist(size_t(z) * size_t(z));
  for (int i = 0; i < z; ++i) {
    id[size_t(i)] = i;
    members[size_t(i)] = {i};
    for (int j = 0; j < z; ++j) dist[size_t(i * z + j)] = 1.0 - s[size_t(i * z + j)];
  }
  std::vector<bool> active(size_t(z), true);
  Clustering c;
  for (int step = 0; step < z - 1; ++step) {
    int best_a = -1, best_b = -1;
    double best = std::numeric_limits<double>::infinity();
    for (int a = 0; a < z; ++a)
      for (int b = a + 1; b < z; ++b)
        if (active[size_t(a)] && active[size_t(b)] && dist[size_t(a * z + b)] < best) {
          best = dist[size_t(a * z + b)];
          best_a = a, best_b = b;
        }
    // UPGMA: the new cluster's distance to k is the size-weighted mean of its parts' distances.
    double na = double(members[size_t(best_a)].size()), nb = double(members[size_t(best_b)].size());
    for (int k = 0; k < z; ++k) {
      if (!active[size_t(k)] || k == best_a || k == best_b) continue;
      double d = (na * dist[size_t(best_a * z + k)] + nb * dist[size_t(best_b * z + k)]) / (na + nb);
      dist[size_t(best_a * z + k)] = dist[size_t(k * z + best_a)] = d;
    }
    Merge m;
    m.a = std::min(id[size_t(best_a)], id[size_t(best_b)]);
    m.b = std::max(id[size_t(best_a)], id[size_t(best_b)]);
    m.height = best;
    // Leaves in dendrogram order: the cluster with the smaller id on the left.
    std::vector<int> left = members[size_t(id[size_t(best_a)] < id[size_t(best_b)] ? best_a : best_b)];
    const std::vector<int>& right = members[size_t(id[size_t(best_a)] < id[size_t(best_b)] ? best_b : best_a)];
    left.insert(left.end(), right.begin(), right.end());
    members[size_t(best_a)] = std::move(left);
    m.size = int(members[size_t(best_a)].size());
    id[size_t(best_a)] = z + step;
    active[size_t(best_b)] = false;
    c.merges.push_back(m);
  }
  for (int i = 0; i < z; ++i)
    if (active[size_t(i)]) c.order = members[size_t(i)];
  return c;
}

NeighbourShare same_group_neighbour_share(const std::vector<double>& s, const std::vector<int>& group) {
  int z = int(group.size());
  check_square(s, z);
  if (z < 2) throw std::invalid_argument("a neighbour share needs at least 2 labels");
  NeighbourShare r;
  r.labels = z;
  std::vector<std::vector<int>> nn = nearest_neighbours(s, z, 1);
  for (int i = 0; i < z; ++i) {
    if (group[size_t(nn[size_t(i)][0])] == group[size_t(i)]) r.observed += 1;
    r.chance += double(std::count(group.begin(), group.end(), group[size_t(i)]) - 1) / double(z - 1);
  }
  r.observed /= z;
  r.chance /= z;
  return r;
}

}  // namespace dcl::analysis
