#pragma once
// What the figure writers share (plots.cpp, plots_images.cpp): one PLplot stream per figure, laid
// out in pixels, its PNG written through a temporary file; the palettes; input checks.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <plstream.h>

#include "dcl/report/plots.h"

namespace dcl::plot::detail {

// Colour map 0 (PLplot's indexed colours) as every figure sets it.
enum Colour : int {
  kWhite = 0,  // the background
  kBlack = 1,  // axes and text
  kGrid = 2,   // light grey
  kFirstSeries = 3,
  kSeriesColours = 10,  // kFirstSeries .. kFirstSeries + 9
  kScratch = 13,        // set with scol0a just before use (semi-transparent points)
  kColourCount = 14,
};

// Text sizes in pixels (the em height as rendered).
constexpr double kTitlePx = 26, kLabelPx = 20, kTickPx = 17, kMarkerPx = 13;

// A figure of `size` pixels being drawn into PATH.tmp. Page coordinates are pixels from the
// top-left corner. finish() ends the PLplot stream, checks the PNG and renames it to PATH; a
// figure destroyed unfinished (an exception while drawing) removes PATH.tmp.
class Figure {
 public:
  Figure(const std::string& path, PixelSize size);
  ~Figure();
  Figure(const Figure&) = delete;
  Figure& operator=(const Figure&) = delete;

  plstream& pl() { return *pls_; }
  PixelSize size() const { return size_; }

  // The drawing area: x0..x1, y0..y1 in page pixels (y down), with world coordinates
  // wx0..wx1 (left to right) and wy0..wy1 (bottom to top).
  void area(double x0, double y0, double x1, double y1, double wx0, double wx1, double wy0, double wy1);
  // Character height in pixels for the text that follows.
  void font(double px);
  // Text at page pixel (x, y), vertically centred there; just 0 = left, 0.5 = centre, 1 = right.
  // vertical: reading upwards. Moves the drawing area to the whole page.
  void text(double x, double y, double px, double just, const std::string& s, bool vertical = false);
  // Cells coloured by colour map 1: cell (ix, iy) has value v[ix * ny + iy] (iy upwards) and covers
  // world x wx0 + ix*cell_w .. +cell_w, y wy0 + iy*cell_h .. +cell_h; [lo, hi] spans the map and
  // values outside it take its ends.
  void cells(const std::vector<double>& v, int nx, int ny, double wx0, double wy0, double cell_w, double cell_h,
             double lo, double hi);
  // The figure's title, bold, centred at the top of the page.
  void title(const std::string& s);
  // Colour map 1 (continuous) from `n` RGBA colours.
  void colour_map1(const std::vector<int>& r, const std::vector<int>& g, const std::vector<int>& b,
                   const std::vector<double>& a);

  void finish();

 private:
  std::string path_, tmp_;
  PixelSize size_;
  std::unique_lock<std::mutex> lock_;
  int keep_fd_ = -1;      // our own descriptor of PATH.tmp: PLplot closes its FILE without checking
  PLINT error_code_ = 0;  // PLplot's plabort reports here (quietly) instead of on stderr
  char error_message_[1024] = {};
  std::unique_ptr<plstream> pls_;  // declared last: ended before the error fields go
};

// PLplot reads '#' as its escape character; "##" is a literal '#'.
std::string escaped(const std::string& s);
// Estimated width in pixels of `s` at `px` (DejaVu Sans averages about 0.5 em a character, bold
// more; PLplot offers no string length through its API, so the layout estimates generously).
double text_width(const std::string& s, double px);
double title_width(const std::string& s);  // at kTitlePx, bold
double longest_text(const std::vector<std::string>& names, double px);

// Continuous colour maps as 256 RGB(A) entries.
struct ColourMap {
  std::vector<int> r, g, b;
  std::vector<double> a;
};
ColourMap sequential_blues();
ColourMap diverging_blue_red();
ColourMap saliency_overlay();  // transparent -> yellow -> red, alpha rising with the value

// Input checks: std::invalid_argument "<writer>: <problem>".
[[noreturn]] void invalid(const char* writer, const std::string& problem);
void require(bool ok, const char* writer, const std::string& problem);
void require_finite(const std::vector<double>& v, const char* writer, const std::string& name);
// A page no larger than kMaxSide a side (a very long title, thousands of rows or panels).
constexpr int kMaxSide = 16384;
void require_page(PixelSize size, const char* writer);

// Tick spacing of about `target` intervals over [lo, hi], a 1/2/5 x 10^k step.
double nice_step(double lo, double hi, int target);
// A finite, non-empty range around [lo, hi] with `pad` (fraction) either side.
void padded_range(double& lo, double& hi, double pad);

}  // namespace dcl::plot::detail
