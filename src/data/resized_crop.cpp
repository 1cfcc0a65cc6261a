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

// The taps of every output coordinate along one axis, `taps` per output (zero-padded): output o
// reads source indices [first[o], first[o] + taps) with weights[o * taps + k].
struct AxisTaps {
  int taps = 1;
  std::vector<int> first;
  std::vector<float> weights;
};

// PIL's bilinear resampling along one axis: output o covers source [start + o*scale, +scale); the
// triangle's support is widened by the downscale factor so every source pixel contributes. Each
// output keeps only its pixels of nonzero weight, so `taps` is as small as the scale allows (2
// when enlarging).
AxisTaps axis_taps(double start, double extent, int out, int size) {
  const double scale = extent / out, support = std::max(scale, 1.0);
  std::vector<std::vector<float>> weights(static_cast<size_t>(out));
  AxisTaps a;
  a.taps = 1;
  a.first.resize(size_t(out));
  for (int o = 0; o < out; ++o) {
    const double centre = start + (o + 0.5) * scale;
    int lo = std::max(0, int(std::floor(centre - support))), hi = std::min(size, int(std::ceil(centre + support)));
    std::vector<float>& w = weights[size_t(o)];
    double total = 0;
    for (int i = lo; i < hi; ++i) {
      double v = std::max(0.0, 1.0 - std::abs((i + 0.5 - centre) / support));
      w.push_back(float(v));
      total += v;
    }
    if (total <= 0) {  // a box outside the image: its nearest edge pixel
      lo = std::clamp(int(centre), 0, size - 1);
      w.assign(1, 1.f);
      total = 1;
    }
    size_t head = 0, tail = w.size();
    while (w[head] == 0.f) ++head;
    while (w[tail - 1] == 0.f) --tail;
    w = std::vector<float>(w.begin() + long(head), w.begin() + long(tail));
    for (float& v : w) v = float(v / total);
    a.first[size_t(o)] = lo + int(head);
    a.taps = std::max(a.taps, int(w.size()));
  }
  // Zero-padded to `taps`, the window moved left where it would leave the image.
  a.weights.assign(size_t(out) * size_t(a.taps), 0.f);
  for (int o = 0; o < out; ++o) {
    const std::vector<float>& w = weights[size_t(o)];
    int shift = std::max(0, a.first[size_t(o)] + a.taps - size);
    a.first[size_t(o)] -= shift;
    std::copy(w.begin(), w.end(), a.weights.begin() + long(size_t(o) * size_t(a.taps) + size_t(shift)));
  }
  return a;
}

// The horizontal pass over one source row, for CHANNELS interleaved channels (0: planar, one channel).
template <int CHANNELS>
void horizontal(const uint8_t* line, const AxisTaps& xs, int out_size, bool flip, float* row, size_t plane) {
  constexpr int step = CHANNELS == 0 ? 1 : CHANNELS;
  const int kx = xs.taps;
  for (int x = 0; x < out_size; ++x) {
    const int sx = flip ? out_size - 1 - x : x;
    const float* w = &xs.weights[size_t(sx) * size_t(kx)];
    const uint8_t* p = line + size_t(xs.first[size_t(sx)]) * step;
    float sum[step] = {};
    for (int k = 0; k < kx; ++k)
      for (int c = 0; c < step; ++c) sum[c] += w[k] * float(p[k * step + c]);
    for (int c = 0; c < step; ++c) row[size_t(c) * plane + size_t(x)] = sum[c];
  }
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
  const AxisTaps xs = axis_taps(box.left, box.width, out_size, width);
  const AxisTaps ys = axis_taps(box.top, box.height, out_size, height);
  const int row_lo = ys.first.front(), row_hi = ys.first.back() + ys.taps;
  // Horizontal pass over the rows the vertical taps read: rows[(r - row_lo)][c][x].
  const size_t pitch = size_t(channels) * out_size;
  thread_local std::vector<float> rows;
  rows.resize(size_t(row_hi - row_lo) * pitch);  // every element is written below
  for (int r = row_lo; r < row_hi; ++r) {
    float* row = &rows[size_t(r - row_lo) * pitch];
    if (planar) {
      for (int c = 0; c < channels; ++c)
        horizontal<0>(src + (size_t(c) * height + size_t(r)) * width, xs, out_size, box.flip,
                      row + size_t(c) * out_size, 0);
    } else if (channels == 3) {
      horizontal<3>(src + size_t(r) * width * 3, xs, out_size, box.flip, row, size_t(out_size));
    } else {
      horizontal<1>(src + size_t(r) * width, xs, out_size, box.flip, row, size_t(out_size));
    }
  }
  // Vertical pass: whole rows at a time (contiguous, vectorised).
  for (int y = 0; y < out_size; ++y) {
    const float* w = &ys.weights[size_t(y) * size_t(ys.taps)];
    for (int c = 0; c < channels; ++c) {
      float* dst = out + (size_t(c) * out_size + y) * out_size;
      std::fill(dst, dst + out_size, 0.f);
      for (int k = 0; k < ys.taps; ++k) {
        if (w[k] == 0.f) continue;
        const float* row = &rows[size_t(ys.first[size_t(y)] + k - row_lo) * pitch + size_t(c) * out_size];
        for (int x = 0; x < out_size; ++x) dst[x] += w[k] * row[x];
      }
    }
  }
}

}  // namespace dcl::data
