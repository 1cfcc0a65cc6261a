// Encoders through TurboJPEG and libpng's simplified API.
#include "dcl/data/image_encode.h"

#include <png.h>
#include <turbojpeg.h>

#include <memory>

#include "dcl/data/image_set.h"

namespace dcl::data {

std::vector<uint8_t> encode_jpeg(const DecodedImage& img, int quality) {
  std::unique_ptr<void, int (*)(tjhandle)> h(tjInitCompress(), tjDestroy);
  if (!h) throw DataError("libjpeg-turbo could not start");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const bool grey = img.channels == 1;
  if (tjCompress2(h.get(), img.pixels.data(), img.width, 0, img.height, grey ? TJPF_GRAY : TJPF_RGB, &out, &size,
                  grey ? TJSAMP_GRAY : TJSAMP_420, quality, 0) != 0)
    throw DataError(std::string("JPEG encoding failed: ") + tjGetErrorStr2(h.get()));
  std::vector<uint8_t> bytes(out, out + size);
  tjFree(out);
  return bytes;
}

std::vector<uint8_t> encode_png(const DecodedImage& img) {
  png_image p{};
  p.version = PNG_IMAGE_VERSION;
  p.width = png_uint_32(img.width);
  p.height = png_uint_32(img.height);
  p.format = img.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&p, nullptr, &size, 0, img.pixels.data(), 0, nullptr))
    throw DataError(std::string("PNG encoding failed: ") + p.message);
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&p, bytes.data(), &size, 0, img.pixels.data(), 0, nullptr))
    throw DataError(std::string("PNG encoding failed: ") + p.message);
  bytes.resize(size);
  return bytes;
}

}  // namespace dcl::data
