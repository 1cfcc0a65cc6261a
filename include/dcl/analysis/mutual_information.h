#pragma once
// Mutual information between frozen features f and a discrete variable v (spec section 6,
// Figure 3), as a variational lower bound:
//   I(f; v) = H(v) - H(v | f) >= H(v) - E[-log q(v | f)]
// for any probe q. H(v) is the plug-in entropy of v on the held-out set and the expectation is
// the probe's cross-entropy there, so the estimate counts only what this probe, with this budget,
// can read from f; on finite data it can fall a little below 0. All values are in nats.
#include <cstdint>

#include <torch/torch.h>

#include "dcl/nn/network.h"

namespace dcl::analysis {

// The probe and its training budget: the same for every method and block being compared.
struct ProbeBudget {
  int hidden = 0;   // 0: a linear (softmax) probe; > 0: one ReLU layer of this width
  int epochs = 30;  // passes over the probe's training features (the best epoch on a held-out
                    // fifth of them is kept)
  int64_t batch_size = 256;
  double lr = 1e-2;  // Adam
  double weight_decay = 1e-4;
  uint64_t seed = 0;  // the probe's initialisation and batch order
};

struct InformationEstimate {
  double entropy = 0;        // H(v) on the held-out set
  double cross_entropy = 0;  // the probe's, on the held-out set
  double bound = 0;          // entropy - cross_entropy
  double accuracy = 0;       // the probe's held-out accuracy, in [0, 1]
};

// Trains the probe on (train_f, train_v) (features centred and scaled by their overall standard
// deviation, training statistics) and evaluates it on (test_f, test_v). Features [N, D] float, v [N] int64 in [0,
// classes).
InformationEstimate probe_information(const torch::Tensor& train_f, const torch::Tensor& train_v,
                                      const torch::Tensor& test_f, const torch::Tensor& test_v, int classes,
                                      const ProbeBudget& budget);

// A block output as probe features of at most `max_features` values per sample: a conv output
// is average-pooled to a side s with C * s * s <= max_features (as LL-pred's auxiliary input,
// spec section 5), an fc output is taken as it is. [N, D].
torch::Tensor probe_features(const torch::Tensor& h, int64_t max_features = 2048);

// The task-irrelevant variable r of the analysis: each image gets one of `count` fixed nuisance
// patterns, drawn uniformly and independently of its label, added to its normalised pixels.
// A pattern is a smooth random field (a 4x4 grid of normal values per channel, resized
// bilinearly to the image) scaled to standard deviation `amplitude`. Patterns: [count, C, H, W].
torch::Tensor nuisance_patterns(const InputShape& input, int count, double amplitude, uint64_t seed);

}  // namespace dcl::analysis
