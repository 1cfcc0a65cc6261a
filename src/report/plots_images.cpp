// Image grids with saliency overlays, and per-patch bar strips (fc networks' saliency).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dcl/report/plots.h"
#include "plot_figure.h"

namespace dcl::plot {

using detail::Figure;
using detail::kLabelPx;
using detail::kTickPx;
using detail::kTitlePx;
using detail::require;

namespace {

// ---- image grid ----

struct GridLayout {
  int scale = 1;  // screen pixels per image pixel
  double panel_w = 0, panel_h = 0;
  int columns = 1, rows = 1;
  double x0 = 24, y0 = 70;        // the first panel's top-left corner
  double step_x = 0, step_y = 0;  // panel to panel
  bool overlay = false;
  PixelSize size;
};

constexpr double kCaptionH = 30, kGapX = 24, kGapY = 14, kColourBarW = 150;

GridLayout layout_of(const ImageGrid& g) {
  GridLayout l;
  int h = g.panels.empty() ? 1 : std::max(g.panels[0].height, 1);
  int w = g.panels.empty() ? 1 : std::max(g.panels[0].width, 1);
  // Whole screen pixels per image pixel, so every image pixel is a crisp square of ~224 / side.
  l.scale = std::max(1, static_cast<int>(std::lround(224.0 / std::max(h, w))));
  l.panel_w = w * l.scale;
  l.panel_h = h * l.scale;
  int n = std::max<int>(static_cast<int>(g.panels.size()), 1);
  l.columns = std::clamp(g.columns, 1, n);
  l.rows = (n + l.columns - 1) / l.columns;
  l.step_x = l.panel_w + kGapX;
  l.step_y = l.panel_h + kCaptionH + kGapY;
  for (const auto& p : g.panels) l.overlay = l.overlay || !p.overlay.empty();
  double width = l.x0 + l.columns * l.step_x + (l.overlay ? kColourBarW : 0);
  double title_w = detail::title_width(g.title) + 40;
  if (title_w > width) {
    l.x0 += (title_w - width) / 2;
    width = title_w;
  }
  double height = l.y0 + l.rows * l.step_y + 6;
  l.size = {static_cast<int>(std::ceil(width)), static_cast<int>(std::ceil(height))};
  return l;
}

std::string panel_name(size_t i) { return "panels[" + std::to_string(i) + "]"; }

void require_unit_values(const std::vector<float>& v, const char* writer, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) detail::invalid(writer, name + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace

PixelSize png_size(const ImageGrid& g) { return layout_of(g).size; }

void write_image_grid_png(const std::string& path, const ImageGrid& g) {
  const char* kWriter = "write_image_grid_png";
  require(!g.title.empty(), kWriter, "title is empty");
  require(g.columns >= 1, kWriter, "columns is " + std::to_string(g.columns) + ", needs to be at least 1");
  require(!g.panels.empty(), kWriter, "panels is empty");
  bool any_overlay = false;
  for (size_t i = 0; i < g.panels.size(); ++i) {
    const ImagePanel& p = g.panels[i];
    std::string name = panel_name(i);
    require(p.height > 0 && p.width > 0, kWriter,
            name + " is " + std::to_string(p.height) + " x " + std::to_string(p.width) + " pixels");
    require(p.height == g.panels[0].height && p.width == g.panels[0].width, kWriter,
            name + " is " + std::to_string(p.height) + " x " + std::to_string(p.width) + " but panels[0] is " +
                std::to_string(g.panels[0].height) + " x " + std::to_string(g.panels[0].width));
    size_t pixels = static_cast<size_t>(p.height) * static_cast<size_t>(p.width);
    require(p.rgb.size() == pixels * 3, kWriter,
            name + ".rgb has " + std::to_string(p.rgb.size()) +
                " values, expected height x width x 3 = " + std::to_string(pixels * 3));
    require(p.overlay.empty() || p.overlay.size() == pixels, kWriter,
            name + ".overlay has " + std::to_string(p.overlay.size()) +
                " values, expected height x width = " + std::to_string(pixels) + " (or none)");
    require_unit_values(p.rgb, kWriter, name + ".rgb");
    require_unit_values(p.overlay, kWriter, name + ".overlay");
    any_overlay = any_overlay || !p.overlay.empty();
  }
  require(!any_overlay || !g.overlay_label.empty(), kWriter, "overlay_label is empty (the colour bar needs a caption)");

  const GridLayout l = layout_of(g);
  detail::require_page(l.size, kWriter);
  Figure f(path, l.size);
  f.title(g.title);
  const int h = g.panels[0].height, w = g.panels[0].width;
  const size_t pixels = static_cast<size_t>(h) * static_cast<size_t>(w);
  const detail::ColourMap heat = detail::saliency_overlay();
  auto unit = [](float v) { return std::clamp(static_cast<double>(v), 0.0, 1.0); };
  for (size_t i = 0; i < g.panels.size(); ++i) {
    const ImagePanel& p = g.panels[i];
    double px = l.x0 + static_cast<double>(i % static_cast<size_t>(l.columns)) * l.step_x;
    double py = l.y0 + static_cast<double>(i / static_cast<size_t>(l.columns)) * l.step_y;
    f.area(px, py, px + l.panel_w, py + l.panel_h, 0, w, 0, h);
    // Colour map 1 is one scalar scale, so true colour takes a map with one entry per pixel:
    // pixel k gets entry k, and the cell's value (k + 0.5) / pixels selects exactly it.
    std::vector<int> r(pixels), gr(pixels), b(pixels);
    std::vector<double> alpha(pixels, 1.0), index(pixels), heat_values(pixels);
    for (int row = 0; row < h; ++row)
      for (int col = 0; col < w; ++col) {
        size_t k = static_cast<size_t>(row) * static_cast<size_t>(w) + static_cast<size_t>(col);
        r[k] = static_cast<int>(std::lround(255 * unit(p.rgb[3 * k])));
        gr[k] = static_cast<int>(std::lround(255 * unit(p.rgb[3 * k + 1])));
        b[k] = static_cast<int>(std::lround(255 * unit(p.rgb[3 * k + 2])));
        size_t cell = static_cast<size_t>(col) * static_cast<size_t>(h) + static_cast<size_t>(h - 1 - row);
        index[cell] = (static_cast<double>(k) + 0.5) / static_cast<double>(pixels);
        if (!p.overlay.empty()) heat_values[cell] = unit(p.overlay[k]);
      }
    f.colour_map1(r, gr, b, alpha);
    f.cells(index, w, h, 0, 0, 1, 1, 0, 1);
    if (!p.overlay.empty()) {
      f.colour_map1(heat.r, heat.g, heat.b, heat.a);
      f.cells(heat_values, w, h, 0, 0, 1, 1, 0, 1);
    }
    f.pl().col0(detail::kBlack);
    f.pl().box("bc", 0, 0, "bc", 0, 0);
    if (!p.caption.empty()) {
      double fit = (l.panel_w + kGapX - 4) / (0.56 * static_cast<double>(p.caption.size()));
      f.text(px + l.panel_w / 2, py + l.panel_h + kCaptionH / 2, std::min(kTickPx, fit), 0.5, p.caption);
    }
  }
  if (l.overlay) {  // the overlay's scale, on white as it would show on a white pixel
    double bx = l.x0 + l.columns * l.step_x + 6;
    double by1 = l.y0 + std::max(l.panel_h, 200.0);
    f.colour_map1(heat.r, heat.g, heat.b, heat.a);
    f.area(bx, l.y0, bx + 18, by1, 0, 1, 0, 1);
    std::vector<double> column(256);
    for (size_t i = 0; i < column.size(); ++i) column[i] = (static_cast<double>(i) + 0.5) / 256;
    f.cells(column, 1, 256, 0, 0, 1, 1.0 / 256, 0, 1);
    f.pl().col0(detail::kBlack);
    f.font(kTickPx);
    f.pl().box("bc", 0, 0, "bcmtv", 0.2, 0);
    f.text(bx + 18 + 8 + 3 * 0.56 * kTickPx + 10 + kLabelPx / 2, (l.y0 + by1) / 2, kLabelPx, 0.5, g.overlay_label,
           true);
  }
  f.finish();
}

// ---- bar strips ----

namespace {

constexpr double kStripH = 110, kStripGap = 36, kStripsTop = 60, kStripsBottom = 70;
constexpr int kStripsW = 1000;

}  // namespace

PixelSize png_size(const BarStrips& b) {
  double rows = static_cast<double>(std::max<size_t>(b.values.size(), 1));
  return {std::max(kStripsW, static_cast<int>(std::ceil(detail::title_width(b.title) + 40))),
          static_cast<int>(kStripsTop + rows * (kStripH + kStripGap) + kStripsBottom)};
}

void write_bar_strips_png(const std::string& path, const BarStrips& b) {
  const char* kWriter = "write_bar_strips_png";
  require(!b.title.empty(), kWriter, "title is empty");
  require(!b.x_label.empty(), kWriter, "x_label is empty");
  require(!b.y_label.empty(), kWriter, "y_label is empty");
  require(!b.values.empty(), kWriter, "values is empty");
  require(b.row_names.size() == b.values.size(), kWriter,
          "row_names has " + std::to_string(b.row_names.size()) + " names for " + std::to_string(b.values.size()) +
              " rows of values");
  const size_t patches = b.values[0].size();
  require(patches > 0, kWriter, "values[0] is empty");
  for (size_t i = 0; i < b.values.size(); ++i) {
    require(b.values[i].size() == patches, kWriter,
            "values[" + std::to_string(i) + "] has " + std::to_string(b.values[i].size()) +
                " values but values[0] has " + std::to_string(patches));
    detail::require_finite(b.values[i], kWriter, "values[" + std::to_string(i) + "]");
  }

  const PixelSize size = png_size(b);
  detail::require_page(size, kWriter);
  Figure f(path, size);
  f.title(b.title);
  const double x0 = 110, x1 = size.width - 30;
  const double P = static_cast<double>(patches);
  const double x_step = std::max(1.0, detail::nice_step(0, P, 10));
  double first_top = 0, last_bottom = 0;
  for (size_t i = 0; i < b.values.size(); ++i) {
    const auto& v = b.values[i];
    double top = kStripsTop + kStripGap + static_cast<double>(i) * (kStripH + kStripGap);
    if (i == 0) first_top = top;
    last_bottom = top + kStripH;
    f.text(x0, top - 12, kTickPx, 0, b.row_names[i]);
    // Bars grow from 0, so 0 is always in range.
    double lo = std::min(0.0, *std::min_element(v.begin(), v.end()));
    double hi = std::max(0.0, *std::max_element(v.begin(), v.end()));
    if (hi == lo) hi = lo + 1;
    double pad = 0.08 * (hi - lo);
    lo = lo < 0 ? lo - pad : lo;
    hi = hi + pad;
    f.area(x0, top, x1, top + kStripH, -0.5, P - 0.5, lo, hi);
    f.font(kTickPx);
    f.pl().col0(detail::kGrid);
    f.pl().box("", 0, 0, "g", detail::nice_step(lo, hi, 4), 0);
    for (size_t k = 0; k < patches; ++k) {
      // Positive scores blue, negative orange: the sign of a gradient x input score matters.
      f.pl().col0(v[k] >= 0 ? detail::kFirstSeries : detail::kFirstSeries + 1);
      double xk = static_cast<double>(k);
      const PLFLT xs[4] = {xk - 0.4, xk - 0.4, xk + 0.4, xk + 0.4}, ys[4] = {0, v[k], v[k], 0};
      f.pl().fill(4, xs, ys);
    }
    f.pl().col0(detail::kBlack);
    if (lo < 0) f.pl().join(-0.5, 0, P - 0.5, 0);
    bool last = i + 1 == b.values.size();
    f.pl().box(last ? "bcnst" : "bcst", x_step, 0, "bcnstv", detail::nice_step(lo, hi, 4), 0);
  }
  f.text((x0 + x1) / 2, size.height - 24, kLabelPx, 0.5, b.x_label);
  f.text(24, (first_top + last_bottom) / 2, kLabelPx, 0.5, b.y_label, true);
  f.finish();
}

}  // namespace dcl::plot
