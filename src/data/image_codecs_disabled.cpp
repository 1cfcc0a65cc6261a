// Built with DCL_WITH_IMAGES=OFF: folder datasets are refused with the reason.
#include "dcl/data/image_encode.h"
#include "dcl/data/image_set.h"
#include "image_codecs.h"

namespace dcl::data {
namespace {
[[noreturn]] void no_codecs(const std::string& name) {
  throw DataError(name + ": this dcl was built without JPEG/PNG support (DCL_WITH_IMAGES=OFF)");
}
}  // namespace

bool image_codecs_available() { return false; }
void check_image_area(int, int, const std::string&) {}
ImageHeader jpeg_header(const uint8_t*, size_t, const std::string& name) { no_codecs(name); }
DecodedImage jpeg_decode(const uint8_t*, size_t, const std::string& name, int, double) { no_codecs(name); }
ImageHeader png_header(const uint8_t*, size_t, const std::string& name) { no_codecs(name); }
JpegRegion jpeg_decode_region(const uint8_t*, size_t, const std::string& name, int, double, const CropBox&, int) {
  no_codecs(name);
}
DecodedImage png_decode(const uint8_t*, size_t, const std::string& name, int) { no_codecs(name); }
std::vector<uint8_t> encode_jpeg(const DecodedImage&, int) { no_codecs("JPEG encoding"); }
std::vector<uint8_t> encode_png(const DecodedImage&) { no_codecs("PNG encoding"); }

}  // namespace dcl::data
