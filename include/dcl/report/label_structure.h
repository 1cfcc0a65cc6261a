#pragma once
// The structure of a set of label embeddings (spec section 6, Figure 6): cosine similarities,
// nearest neighbours, an average-linkage clustering, and how often a label's nearest neighbour
// shares its group (CIFAR-100's superclass) against chance. Plain C++: matrices are row-major.
#include <vector>

namespace dcl::analysis {

// Z x Z cosine similarities of the rows of `embeddings` (Z rows of `dim` values). A zero row has
// similarity 0 with everything (and 1 with itself).
std::vector<double> cosine_similarity_matrix(const std::vector<double>& embeddings, int rows, int dim);

// Each label's k most similar other labels, most similar first (ties: lower index first).
std::vector<std::vector<int>> nearest_neighbours(const std::vector<double>& similarity, int z, int k);

// Agglomerative clustering with average linkage (UPGMA) on distances 1 - similarity. Merges in
// scipy's linkage convention: ids < z are labels, z + i is the cluster made by merge i.
struct Merge {
  int a = 0, b = 0;
  double height = 0;  // the average distance between the two clusters
  int size = 0;       // labels in the merged cluster
};
struct Clustering {
  std::vector<Merge> merges;  // z - 1
  std::vector<int> order;     // the dendrogram's leaf order, left to right
};
Clustering average_linkage(const std::vector<double>& similarity, int z);

// The share of labels whose nearest neighbour is in their own group, and the share a random
// neighbour would give: mean over labels of (own group size - 1) / (z - 1).
struct NeighbourShare {
  double observed = 0;
  double chance = 0;
  int labels = 0;
};
NeighbourShare same_group_neighbour_share(const std::vector<double>& similarity, const std::vector<int>& group);

}  // namespace dcl::analysis
