// Heat maps, line plots, scatter plots and dendrograms (plots_images.cpp: images and bar strips).
#include <algorithm>
#include <cmath>
#include <cstdio>
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

std::string count_problem(const std::string& name, size_t got, size_t expected) {
  return name + " has " + std::to_string(got) + " entries, expected " + std::to_string(expected);
}

// Axis captions: x centred below the plot area at height x_label_y, y reading upwards at x_label_x.
void draw_axis_labels(Figure& f, double x0, double y0, double x1, double y1, double x_label_y, double y_label_x,
                      const std::string& x_label, const std::string& y_label) {
  if (!x_label.empty()) f.text((x0 + x1) / 2, x_label_y, kLabelPx, 0.5, x_label);
  if (!y_label.empty()) f.text(y_label_x, (y0 + y1) / 2, kLabelPx, 0.5, y_label, true);
}

// Room right of a colour bar for its tick labels ("-0.25", "1000").
constexpr double kBarLabelsW = 5.5 * 0.56 * kTickPx;

// A vertical colour bar at page pixels x0..x1, y0..y1 showing colour map 1 over [lo, hi].
void draw_colour_bar(Figure& f, double x0, double y0, double x1, double y1, double lo, double hi,
                     const std::string& caption) {
  f.area(x0, y0, x1, y1, 0, 1, lo, hi);
  std::vector<double> column(256);
  for (size_t i = 0; i < column.size(); ++i) column[i] = lo + (hi - lo) * (static_cast<double>(i) + 0.5) / 256;
  f.cells(column, 1, 256, 0, lo, 1, (hi - lo) / 256, lo, hi);
  f.pl().col0(detail::kBlack);
  f.font(kTickPx);
  f.pl().box("bc", 0, 0, "bcmtv", detail::nice_step(lo, hi, 5), 0);
  f.text(x1 + 8 + kBarLabelsW + 10 + kLabelPx / 2, (y0 + y1) / 2, kLabelPx, 0.5, caption, true);
}

void require_text(const std::string& s, const char* writer, const char* name) {
  require(!s.empty(), writer, std::string(name) + " is empty");
}

// ---- heat map ----

// Past this many pixels the matrix's cells shrink instead (a thousand labels: 3 px cells).
constexpr double kMaxMatrixPx = 3000;
// Names need cells at least this tall (wide); smaller ones go without.
constexpr double kMinNamedCellPx = 9;

struct HeatmapLayout {
  double cell, tick_px;
  bool names;  // the row and column names fit beside their cells
  bool rotate_columns;
  double x0, y0;  // the matrix's top-left corner
  double matrix_w, matrix_h;
  double col_names_h;  // room below the matrix for the column names
  PixelSize size;
};

HeatmapLayout layout_of(const Heatmap& h) {
  HeatmapLayout l{};
  size_t rows = std::max<size_t>(h.row_names.size(), 1), cols = std::max<size_t>(h.col_names.size(), 1);
  double n = static_cast<double>(std::max(rows, cols));
  l.cell = std::min(std::clamp(640.0 / n, 12.0, 56.0), kMaxMatrixPx / n);
  l.names = l.cell >= kMinNamedCellPx;
  l.tick_px = std::clamp(l.cell - 2, 7.0, kTickPx);
  double col_w = l.names ? detail::longest_text(h.col_names, l.tick_px) : 0;
  l.rotate_columns = col_w > l.cell - 6;
  l.col_names_h = (l.rotate_columns ? col_w : l.tick_px) + 12;
  l.matrix_w = l.cell * static_cast<double>(cols);
  l.matrix_h = l.cell * static_cast<double>(rows);
  double row_w = l.names ? detail::longest_text(h.row_names, l.tick_px) : 0;
  double left = 24 + 2 * kLabelPx + row_w + 12;
  double right = 30 + 18 + 8 + kBarLabelsW + 10 + kLabelPx + 20;  // colour bar, its ticks, caption
  double width = left + l.matrix_w + right;
  double title_w = detail::title_width(h.title) + 40;
  if (title_w > width) {  // a long title: widen the page evenly
    left += (title_w - width) / 2;
    width = title_w;
  }
  l.x0 = left;
  l.y0 = 70;
  double height = l.y0 + std::max(l.matrix_h, 200.0) + l.col_names_h + 2 * kLabelPx + 24;
  l.size = {static_cast<int>(std::ceil(width)), static_cast<int>(std::ceil(height))};
  return l;
}

}  // namespace

PixelSize png_size(const Heatmap& h) { return layout_of(h).size; }

void write_heatmap_png(const std::string& path, const Heatmap& h) {
  const char* kWriter = "write_heatmap_png";
  require_text(h.title, kWriter, "title");
  require_text(h.x_label, kWriter, "x_label");
  require_text(h.y_label, kWriter, "y_label");
  require_text(h.value_label, kWriter, "value_label");
  require(!h.row_names.empty(), kWriter, "row_names is empty");
  require(!h.col_names.empty(), kWriter, "col_names is empty");
  const size_t rows = h.row_names.size(), cols = h.col_names.size();
  require(h.values.size() == rows * cols, kWriter,
          count_problem("values", h.values.size(), rows * cols) + " (rows x cols = " + std::to_string(rows) + " x " +
              std::to_string(cols) + ")");
  detail::require_finite(h.values, kWriter, "values");
  require(std::isfinite(h.vmin) && std::isfinite(h.vmax) && h.vmin < h.vmax, kWriter,
          "vmin (" + std::to_string(h.vmin) + ") must be finite and below vmax (" + std::to_string(h.vmax) + ")");
  for (size_t i = 0; i < h.group_breaks.size(); ++i) {
    int k = h.group_breaks[i];
    require(k >= 0 && static_cast<size_t>(k) + 1 < std::max(rows, cols), kWriter,
            "group_breaks[" + std::to_string(i) + "] = " + std::to_string(k) + " is not between 0 and " +
                std::to_string(std::max(rows, cols) - 2));
  }

  const HeatmapLayout l = layout_of(h);
  detail::require_page(l.size, kWriter);
  Figure f(path, l.size);
  f.title(h.title);
  const bool diverging = h.vmin < 0 && h.vmax > 0;
  const detail::ColourMap map = diverging ? detail::diverging_blue_red() : detail::sequential_blues();
  f.colour_map1(map.r, map.g, map.b, map.a);

  // The matrix: world x = column, y = rows - row (row 0 on top). plimagefr's data[ix][iy] has iy upwards.
  const double x1 = l.x0 + l.matrix_w, y1 = l.y0 + l.matrix_h;
  const double R = static_cast<double>(rows), C = static_cast<double>(cols);
  std::vector<double> data(rows * cols);
  for (size_t c = 0; c < cols; ++c)
    for (size_t r = 0; r < rows; ++r) data[c * rows + (rows - 1 - r)] = h.values[r * cols + c];
  f.area(l.x0, l.y0, x1, y1, 0, C, 0, R);
  f.cells(data, static_cast<int>(cols), static_cast<int>(rows), 0, 0, 1, 1, h.vmin, h.vmax);

  if (h.annotate) {
    bool integers = std::all_of(h.values.begin(), h.values.end(), [](double v) { return v == std::round(v); });
    auto label = [&](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, integers ? "%.0f" : "%.2f", v);
      return std::string(buf);
    };
    size_t widest = 0;
    for (double v : h.values) widest = std::max(widest, label(v).size());
    double px = std::min(kTickPx, (l.cell - 6) / (0.6 * static_cast<double>(widest)));
    if (px >= 6) {  // smaller is unreadable: leave the colours alone
      f.font(px);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          double v = h.values[r * cols + c];
          double t = std::clamp((v - h.vmin) / (h.vmax - h.vmin), 0.0, 1.0);
          bool dark_cell = diverging ? std::fabs(t - 0.5) > 0.35 : t > 0.6;
          f.pl().col0(dark_cell ? detail::kWhite : detail::kBlack);
          f.pl().ptex(static_cast<double>(c) + 0.5, R - static_cast<double>(r) - 0.5, 1, 0, 0.5, label(v).c_str());
        }
    }
  }

  f.pl().col0(detail::kBlack);
  f.pl().width(1.5);
  for (int k : h.group_breaks) {
    double at = k + 1.0;
    if (at < C) f.pl().join(at, 0, at, R);
    if (at < R) f.pl().join(0, R - at, C, R - at);
  }
  f.pl().width(1);
  f.pl().box("bc", 0, 0, "bc", 0, 0);

  // Tick labels: mtex positions are fractions of the matrix's side, displacements in character heights.
  f.font(l.tick_px);
  for (size_t r = 0; r < rows && l.names; ++r)
    f.pl().mtex("lv", 0.5, 1 - (static_cast<double>(r) + 0.5) / R, 1, detail::escaped(h.row_names[r]).c_str());
  for (size_t c = 0; c < cols && l.names; ++c) {
    double pos = (static_cast<double>(c) + 0.5) / C;
    std::string name = detail::escaped(h.col_names[c]);
    if (l.rotate_columns)
      f.pl().mtex("bv", 0.5, pos, 1, name.c_str());
    else
      f.pl().mtex("b", 1.2, pos, 0.5, name.c_str());
  }
  double y_label_x = l.x0 - (l.names ? detail::longest_text(h.row_names, l.tick_px) : 0) - 12 - kLabelPx;
  draw_axis_labels(f, l.x0, l.y0, x1, y1, y1 + l.col_names_h + kLabelPx, y_label_x, h.x_label, h.y_label);
  draw_colour_bar(f, x1 + 30, l.y0, x1 + 48, l.y0 + std::max(l.matrix_h, 200.0), h.vmin, h.vmax, h.value_label);
  f.finish();
}

// ---- line plot ----

namespace {

constexpr int kLineW = 900, kLineH = 600;

// Room on the right for the legend (two or more series).
double legend_width(const LinePlot& p) {
  if (p.series.size() < 2) return 0;
  std::vector<std::string> names;
  for (const auto& s : p.series) names.push_back(s.name);
  return detail::longest_text(names, kTickPx) + 130;  // a gap, the box, the sample line
}

// Categorical tick names are turned upright when they do not fit side by side.
bool rotate_ticks(const LinePlot& p, double plot_w) {
  if (p.x_tick_names.empty()) return false;
  return detail::longest_text(p.x_tick_names, kTickPx) + 8 > plot_w / static_cast<double>(p.x_tick_names.size());
}

// The page's width: room for the plot and legend, or for a long title.
double line_page_width(const LinePlot& p) {
  return std::ceil(std::max(kLineW + legend_width(p), detail::title_width(p.title) + 40));
}

double line_bottom_margin(const LinePlot& p) {
  double plot_w = line_page_width(p) - legend_width(p) - 100 - 30;
  if (rotate_ticks(p, plot_w)) return detail::longest_text(p.x_tick_names, kTickPx) + 20 + 2 * kLabelPx + 16;
  return 30 + 2 * kLabelPx + 16;
}

// One marker glyph, centred on its point (the font's own filled circle).
const char* const kMarker = "\xe2\x97\x8f";  // U+25CF

}  // namespace

PixelSize png_size(const LinePlot& p) {
  return {static_cast<int>(line_page_width(p)), kLineH + static_cast<int>(line_bottom_margin(p))};
}

void write_line_png(const std::string& path, const LinePlot& p) {
  const char* kWriter = "write_line_png";
  require_text(p.title, kWriter, "title");
  require_text(p.x_label, kWriter, "x_label");
  require_text(p.y_label, kWriter, "y_label");
  require(!p.series.empty(), kWriter, "series is empty");
  double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
  for (size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    std::string name = "series[" + std::to_string(i) + "]";
    require(!s.y.empty(), kWriter, name + " (\"" + s.name + "\") has no points");
    require(s.x.size() == s.y.size(), kWriter,
            name + " (\"" + s.name + "\") has " + std::to_string(s.x.size()) + " x values and " +
                std::to_string(s.y.size()) + " y values");
    if (p.series.size() > 1) require(!s.name.empty(), kWriter, name + " has no name (the legend needs one)");
    detail::require_finite(s.x, kWriter, name + ".x");
    detail::require_finite(s.y, kWriter, name + ".y");
    for (double x : s.x) {
      if (!p.x_tick_names.empty())
        require(x == std::round(x) && x >= 0 && x < static_cast<double>(p.x_tick_names.size()), kWriter,
                name + ".x holds " + std::to_string(x) + ", not an index into x_tick_names");
      xlo = std::min(xlo, x), xhi = std::max(xhi, x);
    }
    for (double y : s.y) ylo = std::min(ylo, y), yhi = std::max(yhi, y);
  }
  if (!p.x_tick_names.empty()) {
    xlo = -0.5;
    xhi = static_cast<double>(p.x_tick_names.size()) - 0.5;
  } else {
    detail::padded_range(xlo, xhi, 0.03);
  }
  detail::padded_range(ylo, yhi, 0.06);

  const PixelSize size = png_size(p);
  const double legend_w = legend_width(p);
  const double x0 = 100, y0 = 70, x1 = size.width - 30 - legend_w, y1 = size.height - line_bottom_margin(p);
  detail::require_page(size, kWriter);
  Figure f(path, size);
  f.title(p.title);
  f.area(x0, y0, x1, y1, xlo, xhi, ylo, yhi);
  f.font(kTickPx);
  f.pl().col0(detail::kGrid);
  f.pl().box("g", 0, 0, "g", 0, 0);

  for (size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    f.pl().col0(detail::kFirstSeries + static_cast<int>(i % detail::kSeriesColours));
    f.pl().width(2);
    PLINT n = static_cast<PLINT>(s.x.size());
    if (n > 1) f.pl().line(n, s.x.data(), s.y.data());
    if (p.markers || n == 1) {
      f.font(detail::kMarkerPx);
      f.pl().string(n, s.x.data(), s.y.data(), kMarker);
    }
  }
  f.pl().width(1);
  f.pl().col0(detail::kBlack);
  f.font(kTickPx);
  if (p.x_tick_names.empty()) {
    f.pl().box("bcnst", 0, 0, "bcnstv", 0, 0);
  } else {
    f.pl().box("bct", 1, 0, "bcnstv", 0, 0);
    bool rotate = rotate_ticks(p, x1 - x0);
    for (size_t i = 0; i < p.x_tick_names.size(); ++i) {
      double pos = (static_cast<double>(i) - xlo) / (xhi - xlo);
      std::string name = detail::escaped(p.x_tick_names[i]);
      if (rotate)
        f.pl().mtex("bv", 0.6, pos, 1, name.c_str());
      else
        f.pl().mtex("b", 1.6, pos, 0.5, name.c_str());
    }
  }

  if (p.series.size() > 1) {
    size_t n = p.series.size();
    std::vector<PLINT> opts(n, PL_LEGEND_LINE | (p.markers ? PL_LEGEND_SYMBOL : 0)), colours(n), styles(n, 1),
        symbol_counts(n, 3);  // markers at both ends and the middle of the sample line
    std::vector<PLFLT> widths(n, 2), symbol_scales(n, detail::kMarkerPx / kTickPx);
    std::vector<const char*> texts, symbols(n, kMarker);
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      colours[i] = detail::kFirstSeries + static_cast<int>(i % detail::kSeriesColours);
      names.push_back(detail::escaped(p.series[i].name));
    }
    for (const auto& s : names) texts.push_back(s.c_str());
    std::vector<PLINT> text_colours(n, detail::kBlack);
    PLFLT legend_w_out = 0, legend_h_out = 0;
    f.area(x0, y0, x1, y1, xlo, xhi, ylo, yhi);
    f.font(kTickPx);
    // Right of the plot, level with its top: "inside, top left" shifted past the right edge (PLplot's
    // "outside, top right" would put it above the plot's top).
    f.pl().legend(&legend_w_out, &legend_h_out, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                  PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE, 1 + 16 / (x1 - x0), 0, 60 / (x1 - x0),
                  detail::kWhite, detail::kBlack, 1, 0, 0, static_cast<PLINT>(n), opts.data(), 1.0, 1.0, 2.0, 0.0,
                  text_colours.data(), texts.data(), nullptr, nullptr, nullptr, nullptr, colours.data(), styles.data(),
                  widths.data(), colours.data(), symbol_scales.data(), symbol_counts.data(), symbols.data());
  }
  draw_axis_labels(f, x0, y0, x1, y1, size.height - 24, 24, p.x_label, p.y_label);
  f.finish();
}

// ---- scatter plot ----

namespace {
constexpr int kScatterW = 800, kScatterH = 700;
}

PixelSize png_size(const ScatterPlot& p) {
  return {std::max(kScatterW, static_cast<int>(std::ceil(detail::title_width(p.title) + 40))), kScatterH};
}

void write_scatter_png(const std::string& path, const ScatterPlot& p) {
  const char* kWriter = "write_scatter_png";
  require_text(p.title, kWriter, "title");
  require_text(p.x_label, kWriter, "x_label");
  require_text(p.y_label, kWriter, "y_label");
  require(!p.x.empty(), kWriter, "there are no points");
  require(p.x.size() == p.y.size(), kWriter,
          "x has " + std::to_string(p.x.size()) + " values and y " + std::to_string(p.y.size()));
  detail::require_finite(p.x, kWriter, "x");
  detail::require_finite(p.y, kWriter, "y");
  double xlo = *std::min_element(p.x.begin(), p.x.end()), xhi = *std::max_element(p.x.begin(), p.x.end());
  double ylo = *std::min_element(p.y.begin(), p.y.end()), yhi = *std::max_element(p.y.begin(), p.y.end());
  detail::padded_range(xlo, xhi, 0.05);
  detail::padded_range(ylo, yhi, 0.05);

  const PixelSize size = png_size(p);
  const double x0 = 100, y0 = 80, x1 = size.width - 30, y1 = kScatterH - 80;
  detail::require_page(size, kWriter);
  Figure f(path, size);
  f.title(p.title);
  if (!p.note.empty()) f.text(x1, y0 - 16, kTickPx, 1, p.note);
  f.area(x0, y0, x1, y1, xlo, xhi, ylo, yhi);
  f.font(kTickPx);
  f.pl().col0(detail::kGrid);
  f.pl().box("g", 0, 0, "g", 0, 0);
  // Semi-transparent points: where many overlap, the colour deepens.
  f.pl().scol0a(detail::kScratch, 31, 119, 180, 0.65);
  f.pl().col0(detail::kScratch);
  f.font(p.x.size() > 500 ? 8 : detail::kMarkerPx);
  f.pl().string(static_cast<PLINT>(p.x.size()), p.x.data(), p.y.data(), kMarker);
  f.pl().col0(detail::kBlack);
  f.font(kTickPx);
  f.pl().box("bcnst", 0, 0, "bcnstv", 0, 0);
  draw_axis_labels(f, x0, y0, x1, y1, kScatterH - 24, 24, p.x_label, p.y_label);
  f.finish();
}

// ---- dendrogram ----

namespace {

struct DendrogramLayout {
  double spacing, tick_px, names_h;
  bool names;  // the leaf names fit under their leaves
  bool rotate;
  PixelSize size;
};

DendrogramLayout layout_of(const Dendrogram& d) {
  DendrogramLayout l{};
  double n = static_cast<double>(std::max<size_t>(d.leaf_names.size(), 1));
  l.spacing = std::min(std::max(700.0 / n, 14.0), kMaxMatrixPx / n);
  l.names = l.spacing >= kMinNamedCellPx;
  l.tick_px = std::clamp(0.85 * l.spacing, 7.0, kTickPx);
  double longest = l.names ? detail::longest_text(d.leaf_names, l.tick_px) : 0;
  l.rotate = longest > l.spacing - 6;
  l.names_h = (l.rotate ? longest : l.tick_px) + 16;
  double width = std::max(100 + n * l.spacing + 40, detail::title_width(d.title) + 40);
  l.size = {static_cast<int>(std::ceil(width)), static_cast<int>(std::ceil(70 + 460 + l.names_h + 20))};
  return l;
}

}  // namespace

PixelSize png_size(const Dendrogram& d) { return layout_of(d).size; }

void write_dendrogram_png(const std::string& path, const Dendrogram& d) {
  const char* kWriter = "write_dendrogram_png";
  require_text(d.title, kWriter, "title");
  require_text(d.y_label, kWriter, "y_label");
  const size_t n = d.leaf_names.size();
  require(n >= 2, kWriter, "there are " + std::to_string(n) + " leaves; a dendrogram needs at least 2");
  require(d.merges.size() == n - 1, kWriter, count_problem("merges", d.merges.size(), n - 1) + " (leaves - 1)");
  std::vector<bool> used(2 * n - 1, false);
  double top = 0;
  for (size_t i = 0; i < d.merges.size(); ++i) {
    const auto& m = d.merges[i];
    std::string name = "merges[" + std::to_string(i) + "]";
    for (int id : {m.a, m.b}) {
      require(id >= 0 && static_cast<size_t>(id) < n + i, kWriter,
              name + " joins " + std::to_string(id) + ", not a leaf or an earlier merge (ids 0.." +
                  std::to_string(n + i - 1) + ")");
      require(!used[static_cast<size_t>(id)], kWriter, name + " joins " + std::to_string(id) + " a second time");
      used[static_cast<size_t>(id)] = true;
    }
    require(std::isfinite(m.height) && m.height >= 0, kWriter, name + ".height is not a finite value >= 0");
    top = std::max(top, m.height);
  }
  if (top == 0) top = 1;

  // Leaf order: depth first from the root, a before b, so no lines cross.
  std::vector<double> x(2 * n - 1), y(2 * n - 1, 0);
  std::vector<size_t> order;
  std::vector<size_t> stack = {2 * n - 2};
  while (!stack.empty()) {
    size_t id = stack.back();
    stack.pop_back();
    if (id < n) {
      x[id] = static_cast<double>(order.size()) + 0.5;
      order.push_back(id);
    } else {
      stack.push_back(static_cast<size_t>(d.merges[id - n].b));
      stack.push_back(static_cast<size_t>(d.merges[id - n].a));
    }
  }
  for (size_t i = 0; i < d.merges.size(); ++i) {
    const auto& m = d.merges[i];
    x[n + i] = (x[static_cast<size_t>(m.a)] + x[static_cast<size_t>(m.b)]) / 2;
    y[n + i] = m.height;
  }

  const DendrogramLayout l = layout_of(d);
  const double x0 = 100, y0 = 70, x1 = x0 + static_cast<double>(n) * l.spacing, y1 = 70 + 460;
  detail::require_page(l.size, kWriter);
  Figure f(path, l.size);
  f.title(d.title);
  const double ytop = top * 1.05;
  f.area(x0, y0, x1, y1, 0, static_cast<double>(n), 0, ytop);
  f.font(kTickPx);
  f.pl().col0(detail::kGrid);
  f.pl().box("", 0, 0, "g", 0, 0);
  f.pl().col0(detail::kFirstSeries);
  f.pl().width(2);
  for (size_t i = 0; i < d.merges.size(); ++i) {
    size_t a = static_cast<size_t>(d.merges[i].a), b = static_cast<size_t>(d.merges[i].b);
    double h = d.merges[i].height;
    const PLFLT xs[4] = {x[a], x[a], x[b], x[b]}, ys[4] = {y[a], h, h, y[b]};
    f.pl().line(4, xs, ys);
  }
  f.pl().width(1);
  f.pl().col0(detail::kBlack);
  f.pl().box("bc", 0, 0, "bcnstv", 0, 0);
  f.font(l.tick_px);
  for (size_t k = 0; k < order.size() && l.names; ++k) {
    double pos = (static_cast<double>(k) + 0.5) / static_cast<double>(n);
    std::string name = detail::escaped(d.leaf_names[order[k]]);
    if (l.rotate)
      f.pl().mtex("bv", 0.5, pos, 1, name.c_str());
    else
      f.pl().mtex("b", 1.2, pos, 0.5, name.c_str());
  }
  draw_axis_labels(f, x0, y0, x1, y1, 0, 24, "", d.y_label);
  f.finish();
}

}  // namespace dcl::plot
