// Augmentation: shift with zero fill, flip, normalisation, and the random draw.
#include "dcl/data/augment.h"

#include <gtest/gtest.h>

#include <set>

namespace dcl::data {
namespace {

// Straightforward per-pixel definition the fast version must match.
float reference(const std::vector<uint8_t>& src, int C, int H, int W, const AugmentParams& p, const float* mean,
                const float* std, int c, int y, int x) {
  const int xs = p.flip ? W - 1 - x : x;  // flip is applied to the shifted image
  const int sy = y - p.dy, sx = xs - p.dx;
  const double v = (sy < 0 || sy >= H || sx < 0 || sx >= W) ? 0.0 : src[size_t((c * H + sy) * W + sx)];
  (void)C;
  return float((v / 255.0 - mean[c]) / std[c]);
}

TEST(Augment, HandComputedShiftOfA3x3Image) {
  const std::vector<uint8_t> src = {1, 2, 3,  //
                                    4, 5, 6,  //
                                    7, 8, 9};
  const float mean = 0.0f, std = 1.0f / 255.0f;  // leaves pixel values unchanged
  std::vector<float> out(9);
  augment_image(src.data(), 1, 3, 3, {1, -1, false}, &mean, &std, out.data());
  // dx = 1 moves the content right, dy = -1 moves it up; the gaps are zeros.
  const std::vector<float> shifted = {0, 4, 5,  //
                                      0, 7, 8,  //
                                      0, 0, 0};
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(out[i], shifted[i], 1e-4) << i;

  augment_image(src.data(), 1, 3, 3, {1, -1, true}, &mean, &std, out.data());
  const std::vector<float> flipped = {5, 4, 0,  //
                                      8, 7, 0,  //
                                      0, 0, 0};
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(out[i], flipped[i], 1e-4) << i;
}

TEST(Augment, FlipReversesEveryRow) {
  const int C = 2, H = 3, W = 5;
  std::vector<uint8_t> src(C * H * W);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 3);
  const float mean[2] = {0, 0}, std[2] = {1.0f / 255, 1.0f / 255};
  std::vector<float> out(src.size());
  augment_image(src.data(), C, H, W, {0, 0, true}, mean, std, out.data());
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        EXPECT_NEAR(out[size_t((c * H + y) * W + x)], src[size_t((c * H + y) * W + (W - 1 - x))], 1e-3);
}

TEST(Augment, NormalisesWithTheRegistryConstants) {
  const DatasetInfo& info = dataset_info("cifar10");
  std::vector<uint8_t> src(3 * 32 * 32);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 13 + 7);
  std::vector<float> out(src.size());
  augment_image(src.data(), 3, 32, 32, {}, info.mean.data(), info.std.data(), out.data());
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 1024; ++i) {
      const double v = src[size_t(c * 1024 + i)];
      EXPECT_NEAR(out[size_t(c * 1024 + i)], (v / 255.0 - info.mean[c]) / info.std[c], 1e-5);
    }
  // Zero fill is normalised too (as torchvision pads before ToTensor/Normalize).
  augment_image(src.data(), 3, 32, 32, {4, 0, false}, info.mean.data(), info.std.data(), out.data());
  EXPECT_NEAR(out[0], -0.4914 / 0.2023, 1e-5);
  EXPECT_NEAR(out[2048], -0.4465 / 0.2010, 1e-5);
}

TEST(Augment, EveryOffsetMatchesTheReferenceAndStaysInBounds) {
  const int C = 3, H = 7, W = 9;
  std::vector<uint8_t> src(C * H * W);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 29 + 1);
  const float mean[3] = {0.1f, 0.5f, 0.9f}, std[3] = {0.2f, 0.3f, 0.4f};
  const size_t n = src.size(), guard = 16;
  const float canary = -12345.0f;
  for (int dy = -H - 1; dy <= H + 1; ++dy)
    for (int dx = -W - 1; dx <= W + 1; ++dx)
      for (bool flip : {false, true}) {
        const AugmentParams p{dx, dy, flip};
        std::vector<float> buf(n + 2 * guard, canary);
        augment_image(src.data(), C, H, W, p, mean, std, buf.data() + guard);
        for (size_t g = 0; g < guard; ++g) {
          ASSERT_EQ(buf[g], canary) << "wrote before dst, dx=" << dx << " dy=" << dy;
          ASSERT_EQ(buf[guard + n + g], canary) << "wrote past dst, dx=" << dx << " dy=" << dy;
        }
        for (int c = 0; c < C; ++c)
          for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
              ASSERT_NEAR(buf[guard + size_t((c * H + y) * W + x)], reference(src, C, H, W, p, mean, std, c, y, x),
                          1e-4)
                  << "dx=" << dx << " dy=" << dy << " flip=" << flip << " at " << c << "," << y << "," << x;
      }
}

TEST(Augment, DrawFollowsTheDatasetFlags) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const AugmentParams p = draw_augment(dataset_info("mnist"), rng);
    EXPECT_EQ(p.dx, 0);
    EXPECT_EQ(p.dy, 0);
    EXPECT_FALSE(p.flip);
  }
  std::set<int> dxs, dys;
  int flips = 0, svhn_flips = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const AugmentParams p = draw_augment(dataset_info("cifar10"), rng);
    dxs.insert(p.dx);
    dys.insert(p.dy);
    flips += p.flip;
    svhn_flips += draw_augment(dataset_info("svhn"), rng).flip;
    const AugmentParams f = draw_augment(dataset_info("fmnist"), rng);  // flip only
    EXPECT_EQ(f.dx, 0);
    EXPECT_EQ(f.dy, 0);
  }
  EXPECT_EQ(dxs, (std::set<int>{-4, -3, -2, -1, 0, 1, 2, 3, 4}));
  EXPECT_EQ(dys, dxs);
  EXPECT_NEAR(double(flips) / draws, 0.5, 0.05);
  EXPECT_EQ(svhn_flips, 0);
}

TEST(Augment, DrawIsReproducibleFromTheSeed) {
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 50; ++i) {
    const AugmentParams p = draw_augment(dataset_info("stl10"), a), q = draw_augment(dataset_info("stl10"), b);
    EXPECT_EQ(p.dx, q.dx);
    EXPECT_EQ(p.dy, q.dy);
    EXPECT_EQ(p.flip, q.flip);
  }
}

}  // namespace
}  // namespace dcl::data
