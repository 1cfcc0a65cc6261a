// The JPEG and PNG decoders: every pixel format a folder of photos holds, and every way a file
// can be bad, named.
#include "dcl/data/image_decode.h"

#include <gtest/gtest.h>
#include <png.h>
#include <turbojpeg.h>

#include <cstring>
#include <memory>
#include <random>

#include "image_tree.h"

using namespace dcl::data;
using namespace dcl::data::test;

namespace {

DecodedImage decode(const std::vector<uint8_t>& bytes, int channels, double min_scale = 1.0) {
  return decode_image(bytes.data(), bytes.size(), "img", channels, min_scale);
}

// A PNG in one of libpng's simplified formats (16-bit, alpha, colour-mapped).
std::vector<uint8_t> png_bytes(int width, int height, png_uint_32 format, const void* pixels,
                               const void* colormap = nullptr, int colormap_entries = 0) {
  png_image p{};
  p.version = PNG_IMAGE_VERSION;
  p.width = png_uint_32(width);
  p.height = png_uint_32(height);
  p.format = format;
  p.colormap_entries = png_uint_32(colormap_entries);
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&p, nullptr, &size, 0, pixels, 0, colormap)) << p.message;
  std::vector<uint8_t> bytes(size);
  EXPECT_TRUE(png_image_write_to_memory(&p, bytes.data(), &size, 0, pixels, 0, colormap)) << p.message;
  bytes.resize(size);
  return bytes;
}

// The JPEG with an APP1 Exif segment holding orientation `o` inserted after SOI.
std::vector<uint8_t> with_orientation(const std::vector<uint8_t>& jpeg, uint16_t o) {
  const uint8_t tiff[] = {'I',  'I',  42, 0, 8, 0, 0, 0,                       // little-endian TIFF, IFD0 at offset 8
                          1,    0,                                             // one entry
                          0x12, 0x01, 3,  0, 1, 0, 0, 0, uint8_t(o), 0, 0, 0,  // 0x0112 SHORT 1 value
                          0,    0,    0,  0};                                  // no next IFD
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), std::begin(tiff), std::end(tiff));
  size_t length = app1.size() - 2;
  app1[2] = uint8_t(length >> 8), app1[3] = uint8_t(length);
  std::vector<uint8_t> out = jpeg;
  out.insert(out.begin() + 2, app1.begin(), app1.end());
  return out;
}

}  // namespace

TEST(ImageDecode, PngRoundTripsExactlyInGreyAndRgb) {
  for (int channels : {1, 3}) {
    DecodedImage img = make_image(5, 7, channels, [](int y, int x, int c) { return 30 * y + 7 * x + 50 * c; });
    std::vector<uint8_t> bytes = encode_png(img);
    DecodedImage back = decode(bytes, channels);
    EXPECT_EQ(back.height, 5);
    EXPECT_EQ(back.width, 7);
    EXPECT_EQ(back.pixels, img.pixels);
    ImageHeader h = read_image_header(bytes.data(), bytes.size(), "img");
    EXPECT_EQ(h.format, ImageFormat::Png);
    EXPECT_EQ(h.grey, channels == 1);
  }
}

TEST(ImageDecode, JpegDecodesCloseToItsSourceAndGreyBecomesRgb) {
  DecodedImage img = flat_image(16, 24, 1, 120);
  std::vector<uint8_t> bytes = encode_jpeg(img, 95);
  ImageHeader h = read_image_header(bytes.data(), bytes.size(), "img");
  EXPECT_EQ(h.format, ImageFormat::Jpeg);
  EXPECT_TRUE(h.grey);
  EXPECT_EQ(h.width, 24);
  DecodedImage rgb = decode(bytes, 3);
  ASSERT_EQ(rgb.pixels.size(), size_t(16 * 24 * 3));
  for (uint8_t v : rgb.pixels) EXPECT_NEAR(int(v), 120, 2);
}

TEST(ImageDecode, JpegScalingDecodesAtTheSmallestFactorAtLeastAsked) {
  std::vector<uint8_t> bytes = encode_jpeg(flat_image(64, 96, 3, 90), 90);
  DecodedImage half = decode(bytes, 3, 0.5);
  EXPECT_EQ(half.width, 48);
  EXPECT_EQ(half.height, 32);
  DecodedImage third = decode(bytes, 3, 0.3);  // 3/8 is the first factor >= 0.3
  EXPECT_EQ(third.width, 36);
  EXPECT_EQ(decode(bytes, 3, 1.0).width, 96);
}

TEST(ImageDecode, PaletteSixteenBitAndAlphaPngsBecomeEightBitPixels) {
  // Colour-mapped: two entries, red and blue.
  const uint8_t colormap[] = {255, 0, 0, 0, 0, 255};
  const uint8_t indices[] = {0, 1, 1, 0};
  DecodedImage pal = decode(png_bytes(2, 2, PNG_FORMAT_RGB_COLORMAP, indices, colormap, 2), 3);
  EXPECT_EQ(std::vector<uint8_t>(pal.pixels.begin(), pal.pixels.begin() + 6),
            (std::vector<uint8_t>{255, 0, 0, 0, 0, 255}));
  // 16-bit: black and white stay black and white.
  const uint16_t wide[] = {0, 0, 0, 65535, 65535, 65535};
  DecodedImage deep = decode(png_bytes(2, 1, PNG_FORMAT_LINEAR_RGB, wide), 3);
  EXPECT_EQ(deep.pixels, (std::vector<uint8_t>{0, 0, 0, 255, 255, 255}));
  // Alpha: an opaque pixel keeps its colour, a transparent one is composited onto black.
  const uint8_t rgba[] = {200, 100, 50, 255, 200, 100, 50, 0};
  DecodedImage alpha = decode(png_bytes(2, 1, PNG_FORMAT_RGBA, rgba), 3);
  EXPECT_EQ(alpha.pixels, (std::vector<uint8_t>{200, 100, 50, 0, 0, 0}));
}

TEST(ImageDecode, CmykJpegsAreConvertedAsPhotoshopStoresThem) {
  // Inverted (Adobe) CMYK: stored v = 255 - ink; R = v_c * v_k / 255.
  DecodedImage cmyk = make_image(16, 16, 4, [](int, int, int c) { return c == 0 ? 200 : c == 3 ? 255 : 100; });
  std::unique_ptr<void, int (*)(void*)> h(tjInitCompress(), tjDestroy);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(h.get(), cmyk.pixels.data(), 16, 0, 16, TJPF_CMYK, &out, &size, TJSAMP_444, 98, 0), 0);
  std::vector<uint8_t> bytes(out, out + size);
  tjFree(out);
  DecodedImage rgb = decode(bytes, 3);
  EXPECT_NEAR(int(rgb.pixels[0]), 200, 4);
  EXPECT_NEAR(int(rgb.pixels[1]), 100, 4);
}

TEST(ImageDecode, ExifOrientationTurnsThePhotoUpright) {
  // 16 x 32 (H x W): left half black, right half white. Orientation 6 (rotate 90 degrees clockwise
  // to view): 32 x 16, top half black.
  DecodedImage img = make_image(16, 32, 1, [](int, int x, int) { return x < 16 ? 0 : 255; });
  std::vector<uint8_t> bytes = with_orientation(encode_jpeg(img, 95), 6);
  EXPECT_EQ(jpeg_exif_orientation(bytes.data(), bytes.size()), 6);
  ImageHeader h = read_image_header(bytes.data(), bytes.size(), "img");
  EXPECT_EQ(h.height, 32);
  EXPECT_EQ(h.width, 16);
  DecodedImage up = decode(bytes, 1);
  ASSERT_EQ(up.height, 32);
  ASSERT_EQ(up.width, 16);
  EXPECT_LT(int(up.pixels[size_t(4 * 16 + 8)]), 30);    // row 4: black
  EXPECT_GT(int(up.pixels[size_t(27 * 16 + 8)]), 225);  // row 27: white
  // Orientation 3 (rotated 180): the left half is now white.
  DecodedImage turned = decode(with_orientation(encode_jpeg(img, 95), 3), 1);
  EXPECT_GT(int(turned.pixels[2]), 225);
}

TEST(ImageDecode, BadFilesAreNamedWithWhatIsWrong) {
  std::vector<uint8_t> empty;
  expect_data_error({"img", "empty"}, [&] { decode(empty, 3); });
  std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 0, 0};
  expect_data_error({"img", "not a JPEG or PNG", "GIF"}, [&] { decode(gif, 3); });
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  expect_data_error({"img", "not a JPEG or PNG"}, [&] { decode(text, 3); });
  // Truncated data past a valid header: an error, not a partly grey image.
  std::vector<uint8_t> jpeg =
      encode_jpeg(make_image(64, 64, 3, [](int y, int x, int c) { return (y * x + c) % 256; }), 90);
  jpeg.resize(jpeg.size() / 2);
  EXPECT_NO_THROW(read_image_header(jpeg.data(), jpeg.size(), "img"));
  expect_data_error({"img", "damaged JPEG"}, [&] { decode(jpeg, 3); });
  std::vector<uint8_t> png = encode_png(make_image(64, 64, 3, [](int y, int x, int c) { return (y * x + c) % 256; }));
  png.resize(png.size() / 2);
  expect_data_error({"img", "damaged PNG"}, [&] { decode(png, 3); });
  // A corrupt header.
  std::vector<uint8_t> header = encode_png(flat_image(4, 4, 1, 9));
  std::memset(header.data() + 12, 0xAB, 8);
  expect_data_error({"img", "PNG"}, [&] { decode(header, 1); });
}

TEST(ImageDecode, AGoodFileAfterABadOneDecodes) {
  // The decoder is reused per thread: an error must not spoil the next file.
  std::vector<uint8_t> good = encode_jpeg(flat_image(8, 8, 1, 100), 95), cut(good.begin(), good.begin() + 300);
  std::vector<uint8_t> truncated =
      encode_jpeg(make_image(64, 64, 3, [](int y, int x, int c) { return y * x + c; }), 90);
  truncated.resize(truncated.size() / 2);
  for (int round = 0; round < 2; ++round) {
    EXPECT_THROW(read_image_header(cut.data(), cut.size(), "cut"), DataError);
    EXPECT_EQ(read_image_header(good.data(), good.size(), "good").width, 8);
    EXPECT_THROW(decode(truncated, 3), DataError);
    EXPECT_EQ(decode(good, 1).pixels.size(), 64u);
  }
}

TEST(ImageDecode, ARegionDecodesToTheSamePixelsAsTheWholeImage) {
  // A crop resampled from the JPEG rows and columns decode_image_region decodes equals the crop
  // resampled from the whole decoded image, at full and at reduced DCT scale, grey and colour.
  for (int channels : {1, 3}) {
    DecodedImage img =
        make_image(200, 300, channels, [](int y, int x, int c) { return (x * x / 7 + y * 3 + 90 * c) % 256; });
    std::vector<uint8_t> jpeg = encode_jpeg(img, 90);
    for (uint64_t seed = 0; seed < 20; ++seed) {
      std::mt19937_64 rng(seed);
      CropBox box = draw_resized_crop(200, 300, true, rng);
      for (int out : {48, 160}) {
        double need = std::min(1.0, std::max(out / box.width, out / box.height));
        ImageRegion r = decode_image_region(jpeg.data(), jpeg.size(), "img", channels, need, box, 200, 300, out);
        DecodedImage whole = decode(jpeg, channels, need);
        EXPECT_LT(r.image.height * r.image.width, whole.height * whole.width + 1);
        std::vector<float> a(size_t(channels) * out * out), b(a.size());
        resample(r.image.pixels.data(), channels, r.image.height, r.image.width, false, r.box, out, a.data());
        resample(whole.pixels.data(), channels, whole.height, whole.width, false,
                 scale_box(box, 200, 300, whole.height, whole.width), out, b.data());
        float worst = 0;
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
        EXPECT_LT(worst, 1e-3f) << "seed " << seed << " out " << out << " channels " << channels;
      }
    }
  }
}
