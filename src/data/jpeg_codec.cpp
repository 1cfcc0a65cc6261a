// JPEG through libjpeg-turbo's TurboJPEG API (no setjmp; errors come back as codes and strings).
#include <turbojpeg.h>

#include <algorithm>
#include <memory>

#include "dcl/data/image_set.h"
#include "image_codecs.h"

namespace dcl::data {
namespace {

struct TjDestroy {
  void operator()(void* h) const { tjDestroy(h); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

// One decompressor per thread, reused: starting one costs more than decoding a small image. A
// decompressor that reported an error is replaced: TurboJPEG leaves it unusable (later headers
// read as 0 x 0).
TjHandle& thread_decompressor() {
  thread_local TjHandle h;
  return h;
}

void* decompressor() {
  TjHandle& h = thread_decompressor();
  if (!h) h.reset(tjInitDecompress());
  if (!h) throw DataError(std::string("libjpeg-turbo could not start: ") + tjGetErrorStr2(nullptr));
  return h.get();
}

// The error message of the thread's decompressor, which is then discarded.
std::string failure(void* h) {
  std::string message = tjGetErrorStr2(h);
  thread_decompressor().reset();
  return message;
}

struct JpegInfo {
  int width = 0, height = 0, colorspace = 0;
};

JpegInfo read_jpeg_info(void* h, const uint8_t* data, size_t size, const std::string& name) {
  JpegInfo info;
  int subsampling = 0;
  if (tjDecompressHeader3(h, data, (unsigned long)size, &info.width, &info.height, &subsampling, &info.colorspace) != 0)
    throw DataError(name + ": not a readable JPEG file (" + failure(h) + ")");
  check_image_area(info.height, info.width, name);
  return info;
}

}  // namespace

// (image_codecs.h)
JpegScale choose_jpeg_scale(double min_scale) {
  int count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&count);
  JpegScale best{1, 1};
  for (int i = 0; i < count; ++i) {
    double s = double(factors[i].num) / factors[i].denom;
    if (s >= min_scale && s < double(best.num) / best.denom) best = {factors[i].num, factors[i].denom};
  }
  return best;
}

void cmyk_pixels(const std::vector<uint8_t>& cmyk, int channels, std::vector<uint8_t>& out) {
  const size_t n = cmyk.size() / 4;
  out.resize(n * size_t(channels));
  for (size_t i = 0; i < n; ++i) {
    const unsigned k = cmyk[4 * i + 3];
    uint8_t rgb[3];
    for (int c = 0; c < 3; ++c) rgb[c] = uint8_t((cmyk[4 * i + c] * k + 127) / 255);
    if (channels == 3)
      std::copy(rgb, rgb + 3, &out[3 * i]);
    else  // ITU-R 601 luma, as PIL's convert("L")
      out[i] = uint8_t((299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000);
  }
}

bool image_codecs_available() { return true; }

void check_image_area(int height, int width, const std::string& name) {
  if (height < 1 || width < 1) throw DataError(name + ": not a readable image file (its header gives no size)");
  if (int64_t(height) * width > kMaxImagePixels)
    throw DataError(name + ": the header claims " + std::to_string(width) + " x " + std::to_string(height) +
                    " pixels (more than 2^28 is refused)");
}

ImageHeader jpeg_header(const uint8_t* data, size_t size, const std::string& name) {
  void* h = decompressor();
  JpegInfo info = read_jpeg_info(h, data, size, name);
  ImageHeader out;
  out.format = ImageFormat::Jpeg;
  out.height = info.height;
  out.width = info.width;
  out.grey = info.colorspace == TJCS_GRAY;
  return out;
}

DecodedImage jpeg_decode(const uint8_t* data, size_t size, const std::string& name, int channels, double min_scale) {
  void* h = decompressor();
  JpegInfo info = read_jpeg_info(h, data, size, name);
  const JpegScale js = choose_jpeg_scale(min_scale);
  const tjscalingfactor scale{js.num, js.denom};
  DecodedImage img;
  img.width = TJSCALED(info.width, scale);
  img.height = TJSCALED(info.height, scale);
  const bool cmyk = info.colorspace == TJCS_CMYK || info.colorspace == TJCS_YCCK;
  const int format = cmyk ? TJPF_CMYK : channels == 1 ? TJPF_GRAY : TJPF_RGB;
  std::vector<uint8_t> buffer(size_t(img.width) * img.height * size_t(tjPixelSize[format]));
  // Stop on libjpeg's warnings too: "premature end of data" and friends mean a damaged file.
  if (tjDecompress2(h, data, (unsigned long)size, buffer.data(), img.width, 0, img.height, format,
                    TJFLAG_STOPONWARNING) != 0)
    throw DataError(name + ": damaged JPEG data (" + failure(h) + ")");
  img.channels = channels;
  if (!cmyk) {
    img.pixels = std::move(buffer);
    return img;
  }
  cmyk_pixels(buffer, channels, img.pixels);
  return img;
}

}  // namespace dcl::data
