#pragma once
// Train-time augmentation and normalisation of one uint8 image into floats (spec section 3).
#include <cstdint>
#include <random>

#include "dcl/data/registry.h"

namespace dcl::data {

// Pad-and-crop is a shift of the image by (dx, dy) in [-pad, pad] with zero fill; flip mirrors
// each row (left-right). Identity = {0, 0, false}. Exactly: shifted(y, x) = src(y - dy, x - dx)
// (content moves right by dx, down by dy), then out(y, x) = shifted(y, W - 1 - x) when flipped.
struct AugmentParams {
  int dx = 0;
  int dy = 0;
  bool flip = false;
};

// Draws the dataset's train-time augmentation (identity when it has none).
AugmentParams draw_augment(const DatasetInfo& info, std::mt19937_64& rng);

// dst[c][y][x] = (src'[c][y][x] / 255 - mean[c]) / std[c], where src' is src shifted/flipped
// as `p` says; pixels shifted in from outside the image are 0 before normalisation (as
// torchvision's RandomCrop(padding=4) followed by ToTensor and Normalize).
void augment_image(const uint8_t* src, int channels, int height, int width, const AugmentParams& p, const float* mean,
                   const float* std, float* dst);

}  // namespace dcl::data
