// A build without PLplot (DCL_WITH_PLOTS=OFF, the lean GPU build): every figure is refused, saying why.
#include <stdexcept>

#include "dcl/report/plots.h"

namespace dcl::plot {

namespace {

[[noreturn]] void unavailable() {
  throw std::runtime_error(
      "this dcl was built without figures (DCL_WITH_PLOTS=OFF): install PLplot (scripts/install-deps.sh) and "
      "rebuild to draw them");
}

}  // namespace

void write_heatmap_png(const std::string&, const Heatmap&) { unavailable(); }
void write_line_png(const std::string&, const LinePlot&) { unavailable(); }
void write_scatter_png(const std::string&, const ScatterPlot&) { unavailable(); }
void write_dendrogram_png(const std::string&, const Dendrogram&) { unavailable(); }
void write_image_grid_png(const std::string&, const ImageGrid&) { unavailable(); }
void write_bar_strips_png(const std::string&, const BarStrips&) { unavailable(); }
PixelSize png_size(const Heatmap&) { unavailable(); }
PixelSize png_size(const LinePlot&) { unavailable(); }
PixelSize png_size(const ScatterPlot&) { unavailable(); }
PixelSize png_size(const Dendrogram&) { unavailable(); }
PixelSize png_size(const ImageGrid&) { unavailable(); }
PixelSize png_size(const BarStrips&) { unavailable(); }
RgbImage read_png_rgb(const std::string&) { unavailable(); }

}  // namespace dcl::plot
