#pragma once
// The figures of `dcl analyze` (saliency, dictionary structure, confusion, mutual information) as
// PNG files, drawn with PLplot's pngcairo device: axes, tick labels, colour maps and text come from
// the library. Every figure has a white background, a title and labelled axes; several series get a
// legend.
//
// Every writer checks its input first and throws std::invalid_argument naming the problem (an
// empty title, a size that does not match, a non-finite value, a page over 16384 pixels a side).
// The PNG is drawn into PATH.tmp, read back whole, synced and renamed to PATH: a file that cannot
// be written throws std::runtime_error "cannot write PATH: <reason>" and leaves neither PATH nor
// PATH.tmp behind.
// PLplot keeps global state, so the writers take a lock: they are safe, though serial, across threads.
#include <cstdint>
#include <string>
#include <vector>

namespace dcl::plot {

struct PixelSize {
  int width = 0, height = 0;
};

// e.g. cosine similarity of label embeddings, a confusion matrix. Row 0 is drawn at the top.
struct Heatmap {
  std::string title, x_label, y_label, value_label;  // value_label: the colour bar's caption
  std::vector<std::string> row_names, col_names;     // tick labels; the font shrinks for many, and past
                                                     // ~330 the cells are too small and go unnamed
  std::vector<double> values;                        // rows x cols, row-major, finite
  double vmin = 0, vmax = 1;      // the colour range (values outside take its ends); a range across 0 is
                                  // drawn blue-white-red, otherwise white to dark blue
  bool annotate = false;          // write each value in its cell (small matrices)
  std::vector<int> group_breaks;  // lines after these row/col indices (CIFAR-100's superclass blocks)
};
void write_heatmap_png(const std::string& path, const Heatmap& h);

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length, finite
};
struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<Series> series;  // a legend when there are two or more
  bool markers = true;
  // Optional categorical x axis (e.g. block names): x values are then indices into these names.
  std::vector<std::string> x_tick_names;
};
void write_line_png(const std::string& path, const LinePlot& p);

struct ScatterPlot {
  std::string title, x_label, y_label;
  std::string note;  // optional, above the plot's top right corner, e.g. "Spearman rho = 0.61, 45 pairs"
  std::vector<double> x, y;
};
void write_scatter_png(const std::string& path, const ScatterPlot& p);

// An agglomerative clustering; the leaves are drawn in the tree's own order (no crossing lines).
struct Dendrogram {
  std::string title, y_label;
  std::vector<std::string> leaf_names;  // n >= 2 leaves
  struct Merge {
    int a = 0, b = 0;
    double height = 0;
  };
  std::vector<Merge> merges;  // n - 1, scipy's linkage convention: ids < n are leaves, n + i is merge i
};
void write_dendrogram_png(const std::string& path, const Dendrogram& d);

// One image with an optional heat overlay (saliency).
struct ImagePanel {
  int height = 0, width = 0;
  std::vector<float> rgb;      // height*width*3, row-major, in [0,1] (clamped); grayscale: three equal
  std::vector<float> overlay;  // height*width in [0,1] (clamped), already upsampled; empty = none.
                               // Drawn from transparent (low) to opaque red (high).
  std::string caption;         // e.g. "top-1 Sneaker 0.81"
};
struct ImageGrid {
  std::string title, overlay_label;  // overlay_label: the colour bar's caption, needed when there is an overlay
  int columns = 3;
  std::vector<ImagePanel> panels;  // all of one size; each pixel is drawn as an n x n square (n ~ 224 / side)
};
void write_image_grid_png(const std::string& path, const ImageGrid& g);

// Saliency of fc networks: per-patch scores as bars, one strip per image/label row, one x axis.
struct BarStrips {
  std::string title, x_label, y_label;
  std::vector<std::string> row_names;       // e.g. "image 3, top-1 Trouser"
  std::vector<std::vector<double>> values;  // per row, per patch; every row the same length, finite
};
void write_bar_strips_png(const std::string& path, const BarStrips& b);

// The size, in pixels, of the PNG each writer makes for this input (valid or not).
PixelSize png_size(const Heatmap& h);
PixelSize png_size(const LinePlot& p);
PixelSize png_size(const ScatterPlot& p);
PixelSize png_size(const Dendrogram& d);
PixelSize png_size(const ImageGrid& g);
PixelSize png_size(const BarStrips& b);

// A PNG decoded to 8-bit RGB (composited on white), row-major. Throws std::runtime_error naming
// the path when it is missing or not a complete PNG. The writers use it to check their output.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // height*width*3
};
RgbImage read_png_rgb(const std::string& path);

}  // namespace dcl::plot
