#include "plot_figure.h"

#include <fcntl.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace dcl::plot {
namespace detail {
namespace {

// PLplot's current stream is global: one figure at a time.
std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

constexpr double kMmPerPixel = 25.4 / 72;  // the cairo devices draw at 72 dpi

[[noreturn]] void cannot_write(const std::string& path, const std::string& reason) {
  throw std::runtime_error("cannot write " + path + ": " + reason);
}

// Linear interpolation between (position, r, g, b) anchors into 256 entries.
struct Anchor {
  double at;
  int r, g, b;
};
ColourMap interpolate(const std::vector<Anchor>& anchors) {
  ColourMap m;
  for (int i = 0; i < 256; ++i) {
    double t = i / 255.0;
    size_t k = 1;
    while (k + 1 < anchors.size() && anchors[k].at < t) ++k;
    const Anchor& lo = anchors[k - 1];
    const Anchor& hi = anchors[k];
    double f = std::clamp((t - lo.at) / (hi.at - lo.at), 0.0, 1.0);
    auto mix = [f](int a, int b) { return static_cast<int>(std::lround(a + f * (b - a))); };
    m.r.push_back(mix(lo.r, hi.r));
    m.g.push_back(mix(lo.g, hi.g));
    m.b.push_back(mix(lo.b, hi.b));
    m.a.push_back(1.0);
  }
  return m;
}

// Given a device it does not have, plinit asks on stdin for another: check first. Called under the lock.
void require_png_device() {
  static bool found = false;
  if (found) return;
  const char* menus[256];
  const char* names[256];
  const char** p_menus = menus;
  const char** p_names = names;
  int n = 256;
  ::plgDevs(&p_menus, &p_names, &n);
  for (int i = 0; i < n && !found; ++i) found = std::strcmp(names[i], "pngcairo") == 0;
  if (!found) throw std::runtime_error("PLplot has no pngcairo device (Debian: apt-get install plplot-driver-cairo)");
}

}  // namespace

Figure::Figure(const std::string& path, PixelSize size)
    : path_(path), tmp_(path + ".tmp"), size_(size), lock_(plplot_mutex()) {
  require_png_device();
  // We open the file ourselves: PLplot, given a name it cannot open, retries and then exit()s.
  int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) cannot_write(path_, std::strerror(errno));
  keep_fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  FILE* file = keep_fd_ < 0 ? nullptr : ::fdopen(fd, "wb");
  if (file == nullptr) {
    int error = errno;
    ::close(fd);
    if (keep_fd_ >= 0) ::close(keep_fd_);
    ::unlink(tmp_.c_str());
    cannot_write(path_, std::strerror(error));
  }
  pls_ = std::make_unique<plstream>();
  pls_->sdev("pngcairo");
  pls_->sfile(file);  // PLplot closes it when the stream ends
  pls_->spage(0, 0, size.width, size.height, 0, 0);
  ::plsError(&error_code_, error_message_);  // applies to the current stream, ours since the calls above
  // Colour map 0: background, text, grid, then ten distinguishable series colours.
  const int r[kColourCount] = {255, 0, 220, 31, 255, 44, 214, 148, 140, 227, 127, 188, 23, 0};
  const int g[kColourCount] = {255, 0, 220, 119, 127, 160, 39, 103, 86, 119, 127, 189, 190, 0};
  const int b[kColourCount] = {255, 0, 220, 180, 14, 44, 40, 189, 75, 194, 127, 34, 207, 0};
  pls_->scmap0(r, g, b, kColourCount);
  pls_->init();
  pls_->adv(0);
  pls_->col0(kBlack);
  // Plain decimals on axes up to 6 digits (0.00012), not a separate "(x10^-4)" label.
  pls_->sxax(6, 0);
  pls_->syax(6, 0);
}

Figure::~Figure() {
  if (!pls_) return;  // finished
  pls_.reset();
  ::close(keep_fd_);
  ::unlink(tmp_.c_str());
}

void Figure::area(double x0, double y0, double x1, double y1, double wx0, double wx1, double wy0, double wy1) {
  double h = size_.height;
  pls_->svpa(x0 * kMmPerPixel, x1 * kMmPerPixel, (h - y1) * kMmPerPixel, (h - y0) * kMmPerPixel);
  pls_->wind(wx0, wx1, wy0, wy1);
}

// The cairo device asks Pango for chrht in points, and Pango renders points at 96 dpi on a 72 dpi
// surface: the em comes out 4/3 of chrht.
void Figure::font(double px) { pls_->schr(0.75 * px * kMmPerPixel, 1.0); }

void Figure::text(double x, double y, double px, double just, const std::string& s, bool vertical) {
  area(0, 0, size_.width, size_.height, 0, size_.width, size_.height, 0);
  font(px);
  // plptex puts the reference point at mid-height of the text.
  pls_->ptex(x, y, vertical ? 0 : 1, vertical ? -1 : 0, just, escaped(s).c_str());
}

namespace {
struct CellGrid {
  double wx0, wy0, cell_w, cell_h;
};
// plimagefr's own placement spreads nx cells over (nx - 1) steps; this transform puts cell corner
// (x, y) where we want it instead.
void cell_corner(PLFLT x, PLFLT y, PLFLT* tx, PLFLT* ty, PLPointer data) {
  const auto* g = static_cast<const CellGrid*>(data);
  *tx = g->wx0 + x * g->cell_w;
  *ty = g->wy0 + y * g->cell_h;
}
}  // namespace

void Figure::cells(const std::vector<double>& v, int nx, int ny, double wx0, double wy0, double cell_w, double cell_h,
                   double lo, double hi) {
  std::vector<const PLFLT*> columns;
  for (int ix = 0; ix < nx; ++ix) columns.push_back(v.data() + static_cast<size_t>(ix) * static_cast<size_t>(ny));
  CellGrid grid{wx0, wy0, cell_w, cell_h};
  const double inf = HUGE_VAL;  // every cell is drawn
  pls_->imagefr(columns.data(), nx, ny, 0, 1, 0, 1, -inf, inf, lo, hi, cell_corner, &grid);
}

void Figure::title(const std::string& s) {
  pls_->sfont(PL_FCI_SANS, PL_FCI_UPRIGHT, PL_FCI_BOLD);
  text(size_.width / 2.0, 30, kTitlePx, 0.5, s);
  pls_->sfont(PL_FCI_SANS, PL_FCI_UPRIGHT, PL_FCI_MEDIUM);
}

void Figure::colour_map1(const std::vector<int>& r, const std::vector<int>& g, const std::vector<int>& b,
                         const std::vector<double>& a) {
  PLINT n = static_cast<PLINT>(r.size());
  pls_->scmap1n(n);
  pls_->scmap1a(r.data(), g.data(), b.data(), a.data(), n);
}

void Figure::finish() {
  pls_.reset();  // writes the PNG and closes PLplot's FILE
  bool drew = error_code_ == 0;
  int error = 0;
  if (::fsync(keep_fd_) != 0) error = errno;
  if (::close(keep_fd_) != 0 && error == 0) error = errno;
  auto fail = [&](const std::string& reason) {
    ::unlink(tmp_.c_str());
    cannot_write(path_, reason);
  };
  if (!drew) {
    std::string message = error_message_;
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    fail("PLplot: " + message);
  }
  if (error != 0) fail(std::strerror(error));
  // The cairo device ignores write errors (a full disk): decode the file to be sure it is whole.
  std::string problem;
  try {
    RgbImage png = read_png_rgb(tmp_);
    if (png.width != size_.width || png.height != size_.height) problem = "the PNG has the wrong size";
  } catch (const std::runtime_error& e) {
    problem = e.what();
  }
  if (!problem.empty()) fail(problem);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail(std::strerror(errno));
}

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

double text_width(const std::string& s, double px) { return 0.56 * px * static_cast<double>(s.size()); }

double title_width(const std::string& s) { return 0.64 * kTitlePx * static_cast<double>(s.size()); }

double longest_text(const std::vector<std::string>& names, double px) {
  double w = 0;
  for (const auto& n : names) w = std::max(w, text_width(n, px));
  return w;
}

ColourMap sequential_blues() {
  return interpolate({{0.0, 255, 255, 255}, {0.3, 190, 215, 236}, {0.7, 66, 146, 198}, {1.0, 8, 48, 107}});
}

ColourMap diverging_blue_red() {
  return interpolate(
      {{0.0, 33, 102, 172}, {0.25, 146, 197, 222}, {0.5, 255, 255, 255}, {0.75, 244, 165, 130}, {1.0, 178, 24, 43}});
}

ColourMap saliency_overlay() {
  ColourMap m = interpolate({{0.0, 255, 255, 0}, {0.5, 255, 140, 0}, {1.0, 220, 0, 0}});
  // Low values leave the image visible; the top of the range covers it (but never fully).
  for (size_t i = 0; i < m.a.size(); ++i) {
    double t = static_cast<double>(i) / 255.0;
    m.a[i] = t < 0.15 ? 0.0 : 0.8 * (t - 0.15) / 0.85;
  }
  return m;
}

void invalid(const char* writer, const std::string& problem) {
  throw std::invalid_argument(std::string(writer) + ": " + problem);
}

void require(bool ok, const char* writer, const std::string& problem) {
  if (!ok) invalid(writer, problem);
}

void require_finite(const std::vector<double>& v, const char* writer, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) invalid(writer, name + "[" + std::to_string(i) + "] is not finite");
}

void require_page(PixelSize size, const char* writer) {
  require(size.width <= kMaxSide && size.height <= kMaxSide, writer,
          "the figure would be " + std::to_string(size.width) + " x " + std::to_string(size.height) +
              " pixels, more than " + std::to_string(kMaxSide) + " a side (a very long title or too many rows?)");
}

double nice_step(double lo, double hi, int target) {
  double raw = (hi - lo) / target;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

void padded_range(double& lo, double& hi, double pad) {
  if (hi - lo <= 1e-12 * std::max(std::fabs(lo), std::fabs(hi))) {  // one value: a unit-wide window
    double half = std::max(0.5, 0.1 * std::fabs(lo));
    lo -= half;
    hi += half;
    return;
  }
  double d = (hi - lo) * pad;
  lo -= d;
  hi += d;
}

}  // namespace detail

RgbImage read_png_rgb(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  auto fail = [&](const std::string& reason) -> RgbImage {
    png_image_free(&image);
    throw std::runtime_error("cannot read PNG " + path + ": " + reason);
  };
  if (!png_image_begin_read_from_file(&image, path.c_str())) return fail(image.message);
  image.format = PNG_FORMAT_RGB;
  RgbImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  const png_color white = {255, 255, 255};
  if (!png_image_finish_read(&image, &white, out.rgb.data(), 0, nullptr)) return fail(image.message);
  return out;
}

}  // namespace dcl::plot
