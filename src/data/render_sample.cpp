// One sample from memory, a cache mapping or its file, through the dataset's recipe.
#include "dcl/data/render_sample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "dcl/data/folder_dataset.h"
#include "dcl/data/image_decode.h"
#include "dcl/data/resized_crop.h"

namespace dcl::data {
namespace {

// Values in [0, 255] to the network's input: (v / 255 - mean) / std per channel.
void normalise(const float* values, int channels, int64_t plane, const DatasetInfo& info, float* dst) {
  for (int c = 0; c < channels; ++c) {
    const float scale = 1.f / (255.f * info.std[size_t(c)]), shift = info.mean[size_t(c)] / info.std[size_t(c)];
    for (int64_t k = 0; k < plane; ++k) dst[c * plane + k] = values[c * plane + k] * scale - shift;
  }
}

void to_bytes(const std::vector<float>& values, uint8_t* dst) {
  for (size_t k = 0; k < values.size(); ++k) dst[k] = uint8_t(std::clamp(std::lround(values[k]), 0L, 255L));
}

// The region of an H x W image this sample shows (resized_crop datasets).
CropBox sample_box(const DatasetInfo& info, int height, int width, bool full_image, bool train, uint64_t seed) {
  std::mt19937_64 rng(seed);
  if (train && info.random_crop) return draw_resized_crop(height, width, info.horizontal_flip, rng);
  // Test recipe: a stored square holds the short side's centre already (crop S of stored_size);
  // a whole image is cropped as Resize(S / 0.875) + CenterCrop(S).
  CropBox box = full_image ? centre_crop(height, width, 0.875)
                           : centre_crop(height, width, double(info.height) / std::min(height, width));
  box.flip = train && info.horizontal_flip && (rng() & 1) != 0;
  return box;
}

// Decodes a streamed sample's file at the least resolution that still covers `box` at the
// output size, and samples it.
void resample_file(const std::vector<uint8_t>& bytes, const std::string& path, int channels, const CropBox& full_box,
                   int full_height, int full_width, int side, std::vector<float>& values) {
  double need = std::max(side / std::max(full_box.width, 1.0), side / std::max(full_box.height, 1.0));
  ImageRegion r = decode_image_region(bytes.data(), bytes.size(), path, channels, std::min(1.0, need), full_box,
                                      full_height, full_width, side);
  values.resize(size_t(channels) * side * side);
  resample(r.image.pixels.data(), channels, r.image.height, r.image.width, false, r.box, side, values.data());
}

}  // namespace

void store_image(const std::string& path, int channels, int side, uint8_t* out) {
  std::vector<uint8_t> bytes = read_image_bytes(path);
  ImageHeader h = read_image_header(bytes.data(), bytes.size(), path);
  std::vector<float> values;
  resample_file(bytes, path, channels, centre_crop(h.height, h.width, 1.0), h.height, h.width, side, values);
  to_bytes(values, out);
}

void render_sample(const ImageSet& set, const DatasetInfo& info, int64_t i, bool train, const SampleDraw& draw,
                   float* dst) {
  const int c = info.channels, s = info.height;
  if (!info.resized_crop && !set.streamed()) {
    augment_image(set.image(i), c, s, info.width, train ? draw.shift : AugmentParams{}, info.mean.data(),
                  info.std.data(), dst);
    return;
  }
  std::vector<float> values(size_t(c) * s * s);
  if (!info.resized_crop) {  // a streamed small image: stored form first, then pad-and-crop
    std::vector<uint8_t> stored(values.size());
    store_image((*set.files)[size_t(i)], c, s, stored.data());
    augment_image(stored.data(), c, s, s, train ? draw.shift : AugmentParams{}, info.mean.data(), info.std.data(), dst);
    return;
  }
  if (set.streamed()) {
    const std::string& path = (*set.files)[size_t(i)];
    std::vector<uint8_t> bytes = read_image_bytes(path);
    ImageHeader h = read_image_header(bytes.data(), bytes.size(), path);
    resample_file(bytes, path, c, sample_box(info, h.height, h.width, true, train, draw.crop_seed), h.height, h.width,
                  s, values);
  } else {
    resample(set.image(i), c, set.height, set.width, true,
             sample_box(info, set.height, set.width, false, train, draw.crop_seed), s, values.data());
  }
  normalise(values.data(), c, int64_t(s) * s, info, dst);
}

void test_view(const ImageSet& set, const DatasetInfo& info, int64_t i, uint8_t* dst) {
  const int c = info.channels, s = info.height;
  if (!info.resized_crop && !set.streamed()) {
    std::copy_n(set.image(i), set.image_size(), dst);
    return;
  }
  if (!info.resized_crop) return store_image((*set.files)[size_t(i)], c, s, dst);
  std::vector<float> values(size_t(c) * s * s);
  if (set.streamed()) {
    const std::string& path = (*set.files)[size_t(i)];
    std::vector<uint8_t> bytes = read_image_bytes(path);
    ImageHeader h = read_image_header(bytes.data(), bytes.size(), path);
    resample_file(bytes, path, c, sample_box(info, h.height, h.width, true, false, 0), h.height, h.width, s, values);
  } else {
    resample(set.image(i), c, set.height, set.width, true, sample_box(info, set.height, set.width, false, false, 0), s,
             values.data());
  }
  to_bytes(values, dst);
}

}  // namespace dcl::data
