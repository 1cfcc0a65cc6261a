#pragma once
// torchvision's recipes for images of any size: RandomResizedCrop + flip at train time, Resize of
// the short side to S/0.875 + CenterCrop(S) at test time, sampled with an antialiased bilinear
// filter (PIL's: a triangle whose support widens with the downscale factor).
#include <cstdint>
#include <random>

namespace dcl::data {

// A region of a source image in pixel coordinates (fractional when the image was decoded at a
// reduced scale), and whether the result is mirrored left-right.
struct CropBox {
  double top = 0, left = 0, height = 0, width = 0;
  bool flip = false;
};

// RandomResizedCrop's parameters (scale 0.08-1, aspect ratio 3/4-4/3, ten tries then the centred
// fallback, exactly its get_params) and a flip with probability 1/2 when `flip` is set.
CropBox draw_resized_crop(int height, int width, bool flip, std::mt19937_64& rng);

// The region that Resize(round(size / 0.875)) of the short side followed by CenterCrop(size) keeps;
// with `crop_fraction` 1 the whole centred square of the short side (resize + centre crop to size).
CropBox centre_crop(int height, int width, double crop_fraction = 0.875);

// The same region in an image decoded at height x width instead of full_height x full_width.
CropBox scale_box(const CropBox& box, int full_height, int full_width, int height, int width);

// Samples `box` of `src` into out_size x out_size, values in [0, 255], written planar (C, S, S).
// `src` is interleaved (rows of pixels of `channels` bytes) or, with `planar`, C planes of H x W.
void resample(const uint8_t* src, int channels, int height, int width, bool planar, const CropBox& box, int out_size,
              float* out);

}  // namespace dcl::data
