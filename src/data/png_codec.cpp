// PNG through libpng's simplified API: palette, grey, 16-bit and alpha are converted by libpng.
#include <png.h>

#include "dcl/data/image_set.h"
#include "image_codecs.h"

namespace dcl::data {
namespace {

// Begins reading; on failure libpng has already released the image.
png_image begin_png(const uint8_t* data, size_t size, const std::string& name) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size))
    throw DataError(name + ": not a readable PNG file (" + img.message + ")");
  try {
    check_image_area(int(std::min<png_uint_32>(img.height, 1u << 30)), int(std::min<png_uint_32>(img.width, 1u << 30)),
                     name);
  } catch (...) {
    png_image_free(&img);
    throw;
  }
  return img;
}

}  // namespace

ImageHeader png_header(const uint8_t* data, size_t size, const std::string& name) {
  png_image img = begin_png(data, size, name);
  ImageHeader out;
  out.format = ImageFormat::Png;
  out.height = int(img.height);
  out.width = int(img.width);
  out.grey = (img.format & PNG_FORMAT_FLAG_COLOR) == 0;
  png_image_free(&img);
  return out;
}

DecodedImage png_decode(const uint8_t* data, size_t size, const std::string& name, int channels) {
  png_image img = begin_png(data, size, name);
  // 16-bit files without gamma information are sRGB like the 8-bit ones (as PIL reads them).
  img.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  DecodedImage out;
  out.height = int(img.height);
  out.width = int(img.width);
  out.channels = channels;
  out.pixels.assign(PNG_IMAGE_SIZE(img), 0);  // alpha is composited onto these zeros: black
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    std::string message = img.message;
    png_image_free(&img);
    throw DataError(name + ": damaged PNG data (" + message + ")");
  }
  png_image_free(&img);
  return out;
}

}  // namespace dcl::data
