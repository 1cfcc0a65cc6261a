// JPEG through libjpeg-turbo's TurboJPEG API (no setjmp; errors come back as codes and strings).
#include <turbojpeg.h>

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

// The smallest of libjpeg's scaling factors (n/8) that is at least `min_scale`.
tjscalingfactor choose_scale(double min_scale) {
  int count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor best{1, 1};
  for (int i = 0; i < count; ++i) {
    double s = double(factors[i].num) / factors[i].denom;
    if (s >= min_scale && s < double(best.num) / best.denom) best = factors[i];
  }
  return best;
}

// Photoshop's CMYK JPEGs (the common kind) store inverted values: v = 255 - ink. With ink
// c and k, R = (255 - c)(255 - k) / 255 (PIL's conversion), i.e. v_c * v_k / 255.
void inverted_cmyk_to_rgb(const std::vector<uint8_t>& cmyk, std::vector<uint8_t>& rgb) {
  size_t n = cmyk.size() / 4;
  rgb.resize(n * 3);
  for (size_t i = 0; i < n; ++i) {
    unsigned k = cmyk[4 * i + 3];
    for (int c = 0; c < 3; ++c) rgb[3 * i + c] = uint8_t((cmyk[4 * i + c] * k + 127) / 255);
  }
}

}  // namespace

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
  tjscalingfactor scale = choose_scale(min_scale);
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
  std::vector<uint8_t> rgb;
  inverted_cmyk_to_rgb(buffer, rgb);
  if (channels == 3) {
    img.pixels = std::move(rgb);
    return img;
  }
  img.pixels.resize(rgb.size() / 3);
  for (size_t i = 0; i < img.pixels.size(); ++i)  // ITU-R 601 luma, as PIL's convert("L")
    img.pixels[i] = uint8_t((299 * rgb[3 * i] + 587 * rgb[3 * i + 1] + 114 * rgb[3 * i + 2] + 500) / 1000);
  return img;
}

}  // namespace dcl::data
