// Train-time augmentation: pad-and-crop as a shift with zero fill, horizontal flip, then
// normalisation, all in one pass over the output. It runs once per sample per epoch on the
// loader threads, so the inner loops are branch-free rows the compiler can vectorise.
#include "dcl/data/augment.h"

#include <algorithm>

namespace dcl::data {

AugmentParams draw_augment(const DatasetInfo& info, std::mt19937_64& rng) {
  AugmentParams p;
  if (info.random_crop && info.crop_padding > 0) {
    std::uniform_int_distribution<int> shift(-info.crop_padding, info.crop_padding);
    p.dx = shift(rng);
    p.dy = shift(rng);
  }
  if (info.horizontal_flip) p.flip = std::bernoulli_distribution(0.5)(rng);
  return p;
}

// Output pixel (y, x) before the flip is src(y - dy, x - dx): the content moves right by dx and
// down by dy, as a crop of the zero-padded image at offset (pad - dx, pad - dy) would give.
// The flip then mirrors each output row: out(y, x) = shifted(y, W - 1 - x).
void augment_image(const uint8_t* src, int channels, int height, int width, const AugmentParams& p, const float* mean,
                   const float* std, float* dst) {
  // Columns of the shifted row that come from inside the image: [x0, x1).
  const int x0 = std::clamp(p.dx, 0, width);
  const int x1 = std::clamp(width + p.dx, 0, width);
  for (int c = 0; c < channels; ++c) {
    // (v / 255 - mean) / std == v * scale + offset; a zero-filled pixel is just `offset`.
    const float scale = 1.0f / (255.0f * std[c]);
    const float offset = -mean[c] / std[c];
    const uint8_t* plane = src + size_t(c) * height * width;
    for (int y = 0; y < height; ++y) {
      float* out = dst + (size_t(c) * height + y) * width;
      const int sy = y - p.dy;
      if (sy < 0 || sy >= height || x0 >= x1) {
        std::fill(out, out + width, offset);
        continue;
      }
      const uint8_t* row = plane + size_t(sy) * width;
      if (!p.flip) {
        std::fill(out, out + x0, offset);
        const uint8_t* from = row + (x0 - p.dx);  // out[x] = row[x - dx]
        for (int x = 0; x < x1 - x0; ++x) out[x0 + x] = float(from[x]) * scale + offset;
        std::fill(out + x1, out + width, offset);
      } else {
        // Flipped: out[x] = row[W - 1 - x - dx], valid on the mirrored span [W - x1, W - x0).
        const int f0 = width - x1, f1 = width - x0;
        const uint8_t* from = row + (width - 1 - f0 - p.dx);  // from[-k] feeds out[f0 + k]
        std::fill(out, out + f0, offset);
        for (int k = 0; k < f1 - f0; ++k) out[f0 + k] = float(from[-k]) * scale + offset;
        std::fill(out + f1, out + width, offset);
      }
    }
  }
}

}  // namespace dcl::data
