#pragma once
// What the analyses of spec section 6 read from a trained model: its blocks' outputs on chosen
// images, its label embeddings, and the images themselves as a person sees them.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/data/registry.h"
#include "dcl/stages/model.h"

namespace dcl::analysis {

struct BlockOutput {
  std::string name;           // the stage's name (BP: "block<l>")
  torch::Tensor h;            // [N, C, H, W] or [N, F]
  LocalLoss* loss = nullptr;  // the block's local loss; null for BP's blocks
};

// Every block's output on x, as evaluation computes it (eval mode, no gradient): a local method's
// Block stages in order, or BP's network blocks.
std::vector<BlockOutput> block_outputs(Model& model, const torch::Tensor& x);

// The images at `indices` normalised as the network sees them ([N, C, H, W] float, no augmentation).
torch::Tensor network_images(const data::ImageSet& set, const data::DatasetInfo& info,
                             const std::vector<int64_t>& indices);
// The same images as a person sees them: [N, H, W, 3] in [0, 1] (grey images in all three).
torch::Tensor display_images(const data::ImageSet& set, const data::DatasetInfo& info,
                             const std::vector<int64_t>& indices);

// The label embeddings t_z of a dictionary method ([Z, CD]); throws naming the method otherwise.
torch::Tensor label_embeddings(Model& model, const std::string& method);
// The Z x Z cosine similarities (row-major) of the embeddings t_z (block < 0), or of block
// `block`'s view of them, map_l(t_z) (what its loss compares with); sets *classes to Z.
std::vector<double> embedding_similarity(Model& model, const std::string& method, int block, int* classes);

// Predicted labels (the model's reported prediction, or block `block`'s layer-wise one when
// block >= 0) and true labels over the first `limit` (0: all) samples of `set`.
struct Predictions {
  std::vector<int64_t> truth, predicted;
};
Predictions predict_set(Model& model, const data::ImageSet& set, const data::DatasetInfo& info,
                        const torch::Device& device, int block, int64_t limit);

}  // namespace dcl::analysis
