// read_file_bytes: whole file into memory, gunzipping transparently (IDX files ship as .gz).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dcl/data/readers.h"
#include "parse_util.h"

namespace dcl::data {
namespace {

using detail::fail;

std::vector<uint8_t> read_raw(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) fail(path, "file not found");
    fail(path, std::string("cannot open: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  std::vector<uint8_t> bytes(size_t(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "file shrank while reading";
      ::close(fd);
      fail(path, "read error: " + why);
    }
    done += size_t(n);
  }
  ::close(fd);
  return bytes;
}

// Magic 1f 8b plus the deflate method byte (the only one gzip defines): raw STL-10 pixels could
// start with 1f 8b by chance, three bytes make that practically impossible.
bool is_gzip(const std::vector<uint8_t>& b) {
  return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b && (b.size() == 2 || b[2] == 8);
}

// Inflates every gzip member (concatenated members are legal gzip and what `cat a.gz b.gz` makes).
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(path, "cannot initialise zlib");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = 0;
  size_t in_left = in.size();
  // The trailer's ISIZE (size mod 2^32 of the last member) is usually exact: use it as the first
  // guess, bounded by deflate's maximum ratio so a forged trailer cannot force a huge allocation.
  const size_t n = in.size();
  const size_t isize =
      n < 4 ? 0 : size_t(in[n - 4]) | size_t(in[n - 3]) << 8 | size_t(in[n - 2]) << 16 | size_t(in[n - 1]) << 24;
  std::vector<uint8_t> out(std::min(std::max<size_t>(isize, 1 << 16), in.size() * 1032 + 64));
  size_t produced = 0;
  std::string error;
  for (;;) {
    // zlib counts in uInt; feed big inputs in slices.
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = uInt(std::min<size_t>(in_left, 1u << 30));
      in_left -= zs.avail_in;
    }
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t room = std::min<size_t>(out.size() - produced, 1u << 30);
    zs.next_out = out.data() + produced;
    zs.avail_out = uInt(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && in_left == 0) break;
      // Another member follows, or garbage: only gzip magic may follow.
      const size_t pos = in.size() - in_left - zs.avail_in;
      if (in.size() - pos < 2 || in[pos] != 0x1f || in[pos + 1] != 0x8b) {
        error = "corrupt gzip: unexpected data after the compressed stream at offset " + std::to_string(pos);
        break;
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      error =
          "truncated gzip stream: ended after " + std::to_string(in.size()) + " compressed bytes before the end marker";
    } else if (rc == Z_BUF_ERROR && (zs.avail_in == 0 || zs.avail_out == 0)) {
      continue;  // only needs more input or more room: the loop provides both
    } else if (rc == Z_MEM_ERROR) {
      error = "out of memory while decompressing";
    } else {
      error = std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "inflate error " + std::to_string(rc));
    }
    break;
  }
  inflateEnd(&zs);
  if (!error.empty()) fail(path, error);
  out.resize(produced);
  if (out.capacity() - produced > produced / 4) out.shrink_to_fit();
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::vector<uint8_t> bytes = read_raw(path);
  if (is_gzip(bytes)) return gunzip(bytes, path);
  return bytes;
}

}  // namespace dcl::data
