// torchvision's RandomResizedCrop / Resize + CenterCrop geometry and PIL's antialiased bilinear filter.
#include "dcl/data/resized_crop.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dcl::data {
namespace {

double uniform(std::mt19937_64& rng, double a, double b) {
  return a + (b - a) * double(rng() >> 11) * (1.0 / 9007199254740992.0);
}
int64_t below(std::mt19937_64& rng, int64_t n) { return int64_t(rng() % uint64_t(n)); }

// Taps of one output coordinate: source indices [first, first + weights.size()).
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

// PIL's bilinear resampling along one axis: output o covers source [start + o*scale, +scale); the
// triangle's support is widened by the downscale factor so every source pixel contributes.
std::vector<Taps> axis_taps(double start, double extent, int out, int size) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  const double scale = extent / out, support = std::max(scale, 1.0);
  for (int o = 0; o < out; ++o) {
    const double centre = start + (o + 0.5) * scale;
    int lo = std::max(0, int(std::floor(centre - support))), hi = std::min(size, int(std::ceil(centre + support)));
    if (hi <= lo) lo = std::clamp(int(centre), 0, size - 1), hi = lo + 1;  // a box outside the image: the edge
    Taps& t = taps[size_t(o)];
    t.first = lo;
    double total = 0;
    for (int i = lo; i < hi; ++i) {
      double w = std::max(0.0, 1.0 - std::abs((i + 0.5 - centre) / support));
      t.weights.push_back(float(w));
      total += w;
    }
    if (total <= 0) {
      t.weights.assign(t.weights.size(), 0.f);
      t.weights[size_t(std::clamp(int(centre) - lo, 0, hi - lo - 1))] = 1.f;
    } else {
      for (float& w : t.weights) w = float(w / total);
    }
  }
  return taps;
}

}  // namespace

CropBox draw_resized_crop(int height, int width, bool flip, std::mt19937_64& rng) {
  const double area = double(height) * width, log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  CropBox box;
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    double target = area * uniform(rng, 0.08, 1.0), ratio = std::exp(uniform(rng, log_lo, log_hi));
    int w = int(std::lround(std::sqrt(target * ratio))), h = int(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      box.top = double(below(rng, height - h + 1));
      box.left = double(below(rng, width - w + 1));
      box.height = h, box.width = w;
      found = true;
    }
  }
  if (!found) {  // the centred crop of the allowed aspect ratio closest to the image's
    double in_ratio = double(width) / height;
    int w = width, h = height;
    if (in_ratio < 3.0 / 4.0) h = int(std::lround(w / (3.0 / 4.0)));
    if (in_ratio > 4.0 / 3.0) w = int(std::lround(h * (4.0 / 3.0)));
    h = std::min(h, height), w = std::min(w, width);
    box = {double((height - h) / 2), double((width - w) / 2), double(h), double(w)};
  }
  box.flip = flip && (rng() & 1) != 0;
  return box;
}

CropBox centre_crop(int height, int width, double crop_fraction) {
  double side = std::min(height, width) * crop_fraction;
  return {(height - side) / 2, (width - side) / 2, side, side, false};
}

CropBox scale_box(const CropBox& box, int full_height, int full_width, int height, int width) {
  double sy = double(height) / full_height, sx = double(width) / full_width;
  return {box.top * sy, box.left * sx, box.height * sy, box.width * sx, box.flip};
}

void resample(const uint8_t* src, int channels, int height, int width, bool planar, const CropBox& box, int out_size,
              float* out) {
  const std::vector<Taps> xs = axis_taps(box.left, box.width, out_size, width);
  const std::vector<Taps> ys = axis_taps(box.top, box.height, out_size, height);
  int row_lo = height, row_hi = 0;
  for (const Taps& t : ys) row_lo = std::min(row_lo, t.first), row_hi = std::max(row_hi, t.first + int(t.weights.size()));
  // Horizontal pass over the rows the vertical taps read: rows[(r - row_lo)][c][x].
  const size_t pitch = size_t(channels) * out_size;
  std::vector<float> rows(size_t(row_hi - row_lo) * pitch);
  const size_t pixel = planar ? 1 : size_t(channels), plane = planar ? size_t(height) * width : 1;
  for (int r = row_lo; r < row_hi; ++r)
    for (int c = 0; c < channels; ++c) {
      const uint8_t* line = src + c * plane + size_t(r) * width * pixel;
      float* dst = &rows[size_t(r - row_lo) * pitch + size_t(c) * out_size];
      for (int x = 0; x < out_size; ++x) {
        const Taps& t = xs[size_t(box.flip ? out_size - 1 - x : x)];
        float sum = 0;
        for (size_t k = 0; k < t.weights.size(); ++k) sum += t.weights[k] * line[(size_t(t.first) + k) * pixel];
        dst[x] = sum;
      }
    }
  for (int y = 0; y < out_size; ++y) {
    const Taps& t = ys[size_t(y)];
    for (int c = 0; c < channels; ++c) {
      float* dst = out + (size_t(c) * out_size + y) * out_size;
      std::fill(dst, dst + out_size, 0.f);
      for (size_t k = 0; k < t.weights.size(); ++k) {
        const float w = t.weights[k];
        const float* row = &rows[size_t(t.first + int(k) - row_lo) * pitch + size_t(c) * out_size];
        for (int x = 0; x < out_size; ++x) dst[x] += w * row[x];
      }
    }
  }
}

}  // namespace dcl::data
