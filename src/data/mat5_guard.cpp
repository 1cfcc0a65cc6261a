// check_mat5_headers: a bounded walk over a MATLAB v5 file's variable headers. Layout (MAT-File
// Format, MathWorks): a 128-byte header, then data elements, each an 8-byte tag (type, byte count)
// and its data. A variable is an miMATRIX element, possibly wrapped in an miCOMPRESSED (zlib)
// element; it starts with sub-elements for array flags, dimensions and name.
#include "mat5_guard.h"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "parse_util.h"

namespace dcl::data::detail {
namespace {

constexpr uint32_t miINT8 = 1, miINT32 = 5, miUINT32 = 6, miMATRIX = 14, miCOMPRESSED = 15;
constexpr uint32_t kMaxRank = 32;
constexpr uint32_t kMaxName = 4096;    // MATLAB itself stops at 63 characters
constexpr size_t kHeaderProbe = 4096;  // enough inflated bytes for any header that passes

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

class Reader {
 public:
  Reader(std::string path, bool swap) : path_(std::move(path)), swap_(swap) {}
  uint32_t u32(const uint8_t* p) const {
    const uint32_t v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    return swap_ ? __builtin_bswap32(v) : v;
  }
  [[noreturn]] void bad(uint64_t offset, const std::string& what) const {
    fail(path_, "damaged MATLAB variable at offset " + std::to_string(offset) + ": " + what);
  }

  // Checks the sub-element headers of a matrix whose `size` bytes of content begin with the
  // `avail` bytes at `b` (fewer than `size` when only a compressed prefix was inflated).
  void check_matrix(const uint8_t* b, size_t avail, uint64_t size, uint64_t offset) const {
    auto need = [&](uint64_t end, const char* what) {
      if (end > size) bad(offset, std::string(what) + " runs past the variable's end");
      if (end > avail) bad(offset, std::string(what) + " is cut off");
    };
    need(16, "array flags");
    const uint32_t flags_type = u32(b), flags_size = u32(b + 4);
    if ((flags_type != miUINT32 && flags_type != miINT32) || flags_size != 8) bad(offset, "bad array flags tag");
    const uint32_t cls = u32(b + 8) & 0xff;
    // 4 = char, 6..15 = double .. uint64. Cells, structs, objects, sparse arrays and
    // function handles have nested headers that an SVHN file never contains.
    if (cls != 4 && (cls < 6 || cls > 15)) bad(offset, "unsupported array class " + std::to_string(cls));
    need(24, "dimensions tag");
    const uint32_t dims_type = u32(b + 16), dims_bytes = u32(b + 20);
    if (dims_type != miINT32 || dims_bytes % 4 != 0 || dims_bytes == 0 || dims_bytes / 4 > kMaxRank) {
      bad(offset, "bad dimensions tag (" + std::to_string(dims_bytes) + " bytes)");
    }
    const uint64_t name_at = 24 + (uint64_t(dims_bytes) + 7) / 8 * 8;
    need(name_at + 8, "name tag");
    const uint32_t name_tag = u32(b + name_at);
    if (name_tag >> 16) {  // small element: type in the low half, length (1..4) in the high half
      if ((name_tag & 0xffff) != miINT8 || (name_tag >> 16) > 4) bad(offset, "bad short name tag");
      return;
    }
    const uint32_t name_len = u32(b + name_at + 4);
    if (name_tag != miINT8 || name_len > kMaxName) bad(offset, "bad name tag");
    if (name_at + 8 + name_len > size) bad(offset, "name runs past the variable's end");
  }

  // Inflates the start of a compressed element and checks the matrix header inside it.
  void check_compressed(FILE* f, uint64_t size, uint64_t offset) const {
    std::vector<uint8_t> in(size_t(std::min<uint64_t>(size, 64 * 1024)));
    if (std::fread(in.data(), 1, in.size(), f) != in.size()) bad(offset, "read error");
    std::vector<uint8_t> out(kHeaderProbe);
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) bad(offset, "cannot initialise zlib");
    zs.next_in = in.data();
    zs.avail_in = uInt(in.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t got = out.size() - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) bad(offset, "corrupt compressed data");
    if (got < 8) bad(offset, "compressed variable too short");
    if (u32(out.data()) != miMATRIX) bad(offset, "compressed element does not hold a matrix");
    const uint64_t inner = u32(out.data() + 4);
    check_matrix(out.data() + 8, got - 8, inner, offset);
  }

 private:
  std::string path_;
  bool swap_;
};

}  // namespace

void check_mat5_headers(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open");
  uint8_t header[128];
  if (std::fread(header, 1, sizeof header, f.get()) != sizeof header) fail(path, "truncated MATLAB header");
  // Bytes 126-127 are "IM" as written by a little-endian machine, "MI" if the file's byte order
  // is the other one; the version before them is 0x0100 for v5 and 0x0200 for v7.3 (HDF5).
  const bool little = header[126] == 'I' && header[127] == 'M';
  const bool big = header[126] == 'M' && header[127] == 'I';
  if (!little && !big) fail(path, "not a MATLAB v5 .mat file (no endian marker in the header)");
  const Reader r(path, big);
  const uint32_t version =
      big ? (uint32_t(header[124]) << 8 | header[125]) : (uint32_t(header[125]) << 8 | header[124]);
  if (version == 0x0200) fail(path, "MATLAB v7.3 (HDF5) files are not supported; save it with -v7");
  if (version != 0x0100) fail(path, "unknown MATLAB file version " + std::to_string(version));

  if (std::fseek(f.get(), 0, SEEK_END) != 0) fail(path, "cannot seek");
  const uint64_t file_size = uint64_t(std::ftell(f.get()));
  uint64_t pos = 128;
  while (pos < file_size) {
    if (std::fseek(f.get(), long(pos), SEEK_SET) != 0) fail(path, "cannot seek");
    uint8_t tag[8];
    if (file_size - pos < 8 || std::fread(tag, 1, 8, f.get()) != 8) r.bad(pos, "truncated element tag");
    const uint32_t type = r.u32(tag);
    const uint64_t size = r.u32(tag + 4);
    if (size > file_size - pos - 8) {
      r.bad(pos, "truncated: the element claims " + std::to_string(size) + " bytes, " +
                     std::to_string(file_size - pos - 8) + " remain");
    }
    if (type == miCOMPRESSED) {
      r.check_compressed(f.get(), size, pos);
    } else if (type == miMATRIX) {
      std::vector<uint8_t> head(size_t(std::min<uint64_t>(size, kHeaderProbe)));
      if (std::fread(head.data(), 1, head.size(), f.get()) != head.size()) r.bad(pos, "read error");
      r.check_matrix(head.data(), head.size(), size, pos);
    } else {
      r.bad(pos, "element type " + std::to_string(type) + " is not a variable");
    }
    pos += 8 + size;
  }
}

}  // namespace dcl::data::detail
