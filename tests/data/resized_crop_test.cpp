// torchvision's crop geometry and PIL's antialiased bilinear filter.
#include "dcl/data/resized_crop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace dcl::data;

TEST(ResizedCrop, TheWholeImageAtItsOwnSizeIsCopiedExactly) {
  const int side = 6;
  std::vector<uint8_t> src(size_t(2 * side * side));
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 7 % 256);
  std::vector<float> out(src.size());
  resample(src.data(), 2, side, side, true, {0, 0, double(side), double(side), false}, side, out.data());
  for (size_t i = 0; i < src.size(); ++i) EXPECT_FLOAT_EQ(out[i], float(src[i]));
}

TEST(ResizedCrop, InterleavedAndPlanarSourcesAgreeAndFlipMirrors) {
  const int h = 5, w = 8, c = 3;
  std::vector<uint8_t> planar(size_t(c * h * w)), interleaved(planar.size());
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        uint8_t v = uint8_t(ch * 80 + y * 9 + x * 3);
        planar[size_t((ch * h + y) * w + x)] = v;
        interleaved[size_t((y * w + x) * c + ch)] = v;
      }
  CropBox box{1, 2, 4, 5, false};
  std::vector<float> a(size_t(c * 3 * 3)), b(a.size()), flipped(a.size());
  resample(planar.data(), c, h, w, true, box, 3, a.data());
  resample(interleaved.data(), c, h, w, false, box, 3, b.data());
  EXPECT_EQ(a, b);
  box.flip = true;
  resample(planar.data(), c, h, w, true, box, 3, flipped.data());
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x)
        EXPECT_FLOAT_EQ(flipped[size_t((ch * 3 + y) * 3 + x)], a[size_t((ch * 3 + y) * 3 + (2 - x))]);
}

TEST(ResizedCrop, DownscalingAveragesEverySourcePixel) {
  // Alternating 0/255 columns at a third of the size: a plain bilinear sample lands on one source
  // pixel per output (0, 255, 0, ...); the antialiased filter sees all of them, near the mean.
  const int side = 48;
  std::vector<uint8_t> src(size_t(side * side));
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) src[size_t(y * side + x)] = x % 2 ? 255 : 0;
  std::vector<float> out(size_t(16 * 16));
  resample(src.data(), 1, side, side, true, {0, 0, double(side), double(side), false}, 16, out.data());
  for (float v : out) EXPECT_NEAR(v, 127.5f, 30.0f);
}

TEST(ResizedCrop, RandomBoxesFollowTorchvisionsBoundsAndAreAFunctionOfTheSeed) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed), again(seed);
    CropBox b = draw_resized_crop(375, 500, true, rng);
    CropBox c = draw_resized_crop(375, 500, true, again);
    EXPECT_EQ(b.top, c.top);
    EXPECT_EQ(b.width, c.width);
    EXPECT_EQ(b.flip, c.flip);
    EXPECT_GE(b.top, 0);
    EXPECT_GE(b.left, 0);
    EXPECT_LE(b.top + b.height, 375);
    EXPECT_LE(b.left + b.width, 500);
    double area = b.height * b.width / (375.0 * 500.0), ratio = b.width / b.height;
    EXPECT_GE(area, 0.075);
    EXPECT_LE(area, 1.0);
    EXPECT_GE(ratio, 0.74);
    EXPECT_LE(ratio, 1.36);
  }
}

TEST(ResizedCrop, AnImpossiblyLongImageFallsBackToTheCentredCrop) {
  std::mt19937_64 rng(1);
  CropBox b = draw_resized_crop(10, 1000, false, rng);  // no 3/4..4/3 box of >= 8% of the area fits
  EXPECT_EQ(b.height, 10);
  EXPECT_EQ(b.width, 13);  // round(10 * 4/3)
  EXPECT_EQ(b.left, double((1000 - 13) / 2));
  EXPECT_FALSE(b.flip);
}

TEST(ResizedCrop, TestCropIsTheCentreOfTheShortSide) {
  CropBox b = centre_crop(256, 320, 0.875);
  EXPECT_DOUBLE_EQ(b.height, 224);
  EXPECT_DOUBLE_EQ(b.width, 224);
  EXPECT_DOUBLE_EQ(b.top, 16);
  EXPECT_DOUBLE_EQ(b.left, 48);
  CropBox half = scale_box(b, 256, 320, 128, 160);
  EXPECT_DOUBLE_EQ(half.top, 8);
  EXPECT_DOUBLE_EQ(half.width, 112);
}
