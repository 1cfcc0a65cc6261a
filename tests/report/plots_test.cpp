// The PNG figure writers: each makes a complete PNG of its announced size that shows text, axes and
// colour where they belong; bad input is refused by name; an unwritable path leaves nothing behind.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dcl/report/plots.h"

namespace dcl::plot {
namespace {

namespace fs = std::filesystem;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

class PlotsTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcl-plots-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Nothing but these files in the directory (no PATH.tmp left over).
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }
  fs::path dir_;
};

// The PNG signature and the IHDR's size read straight from the bytes, then the pixels through libpng.
RgbImage read_checked(const std::string& file, PixelSize expected) {
  std::ifstream in(file, std::ios::binary);
  std::array<unsigned char, 24> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  EXPECT_TRUE(in.good()) << file;
  const std::array<unsigned char, 8> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_TRUE(std::equal(signature.begin(), signature.end(), head.begin())) << file;
  auto be32 = [&](size_t at) {
    return int(uint32_t(head[at]) << 24 | uint32_t(head[at + 1]) << 16 | uint32_t(head[at + 2]) << 8 | head[at + 3]);
  };
  EXPECT_EQ(std::string(head.begin() + 12, head.begin() + 16), "IHDR");
  EXPECT_EQ(be32(16), expected.width);
  EXPECT_EQ(be32(20), expected.height);
  RgbImage image = read_png_rgb(file);
  EXPECT_EQ(image.width, expected.width);
  EXPECT_EQ(image.height, expected.height);
  return image;
}

struct Pixel {
  int r, g, b;
};
Pixel at(const RgbImage& im, int x, int y) {
  size_t k = 3 * (size_t(y) * size_t(im.width) + size_t(x));
  return {im.rgb[k], im.rgb[k + 1], im.rgb[k + 2]};
}

// Where the pixels matching `match` are: their count and centroid.
struct Region {
  int64_t count = 0;
  double x = 0, y = 0;
};
Region find(const RgbImage& im, const std::function<bool(Pixel)>& match) {
  Region r;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (match(at(im, x, y))) {
        ++r.count;
        r.x += x;
        r.y += y;
      }
  if (r.count > 0) r.x /= double(r.count), r.y /= double(r.count);
  return r;
}
std::function<bool(Pixel)> near(int r, int g, int b, int tolerance = 12) {
  return [=](Pixel p) {
    return std::abs(p.r - r) <= tolerance && std::abs(p.g - g) <= tolerance && std::abs(p.b - b) <= tolerance;
  };
}
bool dark(Pixel p) { return p.r < 60 && p.g < 60 && p.b < 60; }
bool coloured(Pixel p) { return std::max({p.r, p.g, p.b}) - std::min({p.r, p.g, p.b}) > 60; }

// A white page with text or axes (dark pixels) and coloured marks.
void expect_a_figure(const RgbImage& im) {
  Pixel corner = at(im, 0, 0);
  EXPECT_EQ(corner.r + corner.g + corner.b, 3 * 255) << "the background is white";
  EXPECT_GT(find(im, dark).count, 500) << "text and axes";
  EXPECT_GT(find(im, coloured).count, 200) << "coloured marks";
}

// `write` throws std::invalid_argument whose message contains `problem`, and writes nothing.
template <typename Figure, typename Writer>
void expect_invalid(PlotsTest* t, Writer write, const Figure& figure, const std::string& problem) {
  std::string file = t->path("bad.png");
  try {
    write(file, figure);
    ADD_FAILURE() << "no exception; expected: " << problem;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what() << "\nexpected: " << problem;
  }
  EXPECT_TRUE(t->files().empty());
}

Heatmap one_hot_heatmap(int hot_row, int hot_col) {
  Heatmap h;
  h.title = "One hot cell";
  h.x_label = "predicted label";
  h.y_label = "true label";
  h.value_label = "share of samples";
  h.row_names = h.col_names = {"zero", "one", "two"};
  h.values.assign(9, 0.0);
  h.values[size_t(hot_row * 3 + hot_col)] = 1.0;
  return h;
}

TEST_F(PlotsTest, HeatmapShowsItsDominantCellWhereItBelongs) {
  // The sequential map ends in dark blue (8, 48, 107); row 0 is drawn on top, column 0 on the left.
  auto dark_blue_at = [&](int row, int col) {
    Heatmap h = one_hot_heatmap(row, col);
    std::string file = path("hot.png");
    write_heatmap_png(file, h);
    RgbImage im = read_checked(file, png_size(h));
    expect_a_figure(im);
    Region r = find(im, near(8, 48, 107));
    EXPECT_GT(r.count, 1000) << "a whole cell (the colour bar's top adds a little)";
    return r;
  };
  Region top_left = dark_blue_at(0, 0), top_right = dark_blue_at(0, 2), bottom_left = dark_blue_at(2, 0);
  EXPECT_GT(top_right.x, top_left.x + 60);
  EXPECT_NEAR(top_right.y, top_left.y, 20);
  EXPECT_GT(bottom_left.y, top_left.y + 60);
  EXPECT_NEAR(bottom_left.x, top_left.x, 20);
  EXPECT_EQ(files(), std::vector<std::string>{"hot.png"});
}

TEST_F(PlotsTest, HeatmapAcrossZeroUsesTheDivergingMapAndManyNames) {
  Heatmap h;
  h.title = "Cosine similarity of 100 label embeddings #2";
  h.x_label = h.y_label = "label";
  h.value_label = "cosine similarity";
  h.vmin = -1;
  h.vmax = 1;
  for (int i = 0; i < 100; ++i) {
    h.row_names.push_back("label_" + std::to_string(i));
    h.col_names.push_back("label_" + std::to_string(i));
  }
  for (int i = 0; i < 100; ++i)
    for (int j = 0; j < 100; ++j) h.values.push_back(i == j ? 1.0 : -1.0);
  h.group_breaks = {4, 9, 49};
  std::string file = path("big.png");
  write_heatmap_png(file, h);
  RgbImage im = read_checked(file, png_size(h));
  expect_a_figure(im);
  EXPECT_GT(png_size(h).width, 1000) << "room for 100 names";
  EXPECT_GT(find(im, near(178, 24, 43)).count, 100 * 100) << "the diagonal, dark red";
  EXPECT_GT(find(im, near(33, 102, 172)).count, 100 * 99 * 50) << "the rest, dark blue";
}

TEST_F(PlotsTest, HeatmapOfHundredsOfLabelsStaysAPageWithoutNames) {
  Heatmap h;
  h.title = "Too many to name";
  h.x_label = h.y_label = "label";
  h.value_label = "value";
  for (int i = 0; i < 400; ++i) {  // 7.5 px cells: too small for names
    h.row_names.push_back("a rather long label " + std::to_string(i));
    h.col_names.push_back(h.row_names.back());
  }
  h.values.assign(400 * 400, 0.5);
  PixelSize size = png_size(h);
  EXPECT_LT(size.width, 3400);
  EXPECT_LT(size.height, 3400);
  write_heatmap_png(path("huge.png"), h);
  read_checked(path("huge.png"), size);
}

TEST_F(PlotsTest, AnnotatedHeatmapWritesItsNumbers) {
  Heatmap h = one_hot_heatmap(1, 1);
  h.annotate = true;
  Heatmap plain = h;
  plain.annotate = false;
  write_heatmap_png(path("a.png"), h);
  write_heatmap_png(path("b.png"), plain);
  int64_t with = find(read_checked(path("a.png"), png_size(h)), dark).count;
  int64_t without = find(read_checked(path("b.png"), png_size(h)), dark).count;
  EXPECT_GT(with, without + 100) << "eight dark '0.00's on the light cells";
}

TEST_F(PlotsTest, LinePlotWithLegendAndCategoricalAxis) {
  LinePlot p;
  p.title = "Layer-wise accuracy";
  p.x_label = "block";
  p.y_label = "test accuracy (%)";
  p.x_tick_names = {"conv1", "conv2", "conv3", "fc"};
  p.series = {{"dcl", {0, 1, 2, 3}, {60, 70, 80, 85}}, {"bp", {0, 1, 2, 3}, {50, 65, 75, 90}}};
  std::string file = path("line.png");
  write_line_png(file, p);
  RgbImage im = read_checked(file, png_size(p));
  expect_a_figure(im);
  EXPECT_GT(find(im, near(31, 119, 180, 30)).count, 300) << "series 1, blue";
  EXPECT_GT(find(im, near(255, 127, 14, 30)).count, 300) << "series 2, orange";
}

TEST_F(PlotsTest, LinePlotOfOneSeriesAndOnePoint) {
  LinePlot p;
  p.title = "Mutual information";
  p.x_label = "epoch";
  p.y_label = "I(Z; Y) (bits)";
  p.markers = false;
  p.series = {{"", {1}, {0.5}}};  // one value: still a marker and a sensible range
  write_line_png(path("one.png"), p);
  RgbImage im = read_checked(path("one.png"), png_size(p));
  EXPECT_GT(find(im, near(31, 119, 180, 30)).count, 20);
}

TEST_F(PlotsTest, ScatterPlotWithNote) {
  ScatterPlot p;
  p.title = "Confusion vs. similarity";
  p.x_label = "cosine similarity";
  p.y_label = "confusion rate";
  p.note = "Spearman rho = 0.61, 45 pairs";
  for (int i = 0; i < 45; ++i) {
    p.x.push_back(std::sin(i));
    p.y.push_back(0.01 * i);
  }
  write_scatter_png(path("scatter.png"), p);
  RgbImage im = read_checked(path("scatter.png"), png_size(p));
  expect_a_figure(im);
}

TEST_F(PlotsTest, DendrogramDrawsEveryLeaf) {
  Dendrogram d;
  d.title = "Average linkage";
  d.y_label = "distance (1 - cosine similarity)";
  d.leaf_names = {"cat", "dog", "car", "truck"};
  d.merges = {{0, 1, 0.1}, {2, 3, 0.2}, {4, 5, 0.75}};
  write_dendrogram_png(path("tree.png"), d);
  RgbImage im = read_checked(path("tree.png"), png_size(d));
  expect_a_figure(im);
}

ImagePanel solid(int h, int w, float r, float g, float b) {
  ImagePanel p;
  p.height = h;
  p.width = w;
  for (int i = 0; i < h * w; ++i) p.rgb.insert(p.rgb.end(), {r, g, b});
  return p;
}

TEST_F(PlotsTest, ImageGridDrawsTrueColoursTheRightWayUp) {
  // A 32 x 32 colour image in quadrants: red top left, green top right, blue bottom left, grey bottom right.
  ImagePanel q = solid(32, 32, 0.5f, 0.5f, 0.5f);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      float* px = &q.rgb[size_t(3 * (y * 32 + x))];
      if (y < 16 && x < 16) px[0] = 1, px[1] = 0, px[2] = 0;
      if (y < 16 && x >= 16) px[0] = 0, px[1] = 1, px[2] = 0;
      if (y >= 16 && x < 16) px[0] = 0, px[1] = 0, px[2] = 1;
    }
  q.caption = "top-1 automobile 0.93";
  ImageGrid g;
  g.title = "Quadrants";
  g.panels = {q, solid(32, 32, 0.2f, 0.6f, 1.0f)};
  write_image_grid_png(path("grid.png"), g);
  RgbImage im = read_checked(path("grid.png"), png_size(g));
  expect_a_figure(im);
  Region red = find(im, near(255, 0, 0, 2)), green = find(im, near(0, 255, 0, 2)), blue = find(im, near(0, 0, 255, 2));
  // Each quadrant is 16 x 16 image pixels of n x n screen pixels, n ~ 224 / 32.
  const int64_t quadrant = 16 * 16 * 7 * 7;
  EXPECT_GT(red.count, quadrant * 9 / 10);
  EXPECT_GT(green.count, quadrant * 9 / 10);
  EXPECT_GT(blue.count, quadrant * 9 / 10);
  EXPECT_GT(green.x, red.x + 50);
  EXPECT_GT(blue.y, red.y + 50);
  EXPECT_GT(find(im, near(51, 153, 255, 2)).count, 4 * quadrant * 9 / 10) << "the second panel, one colour";
}

TEST_F(PlotsTest, ImageGridOverlayCoversAGrayscaleImage) {
  ImagePanel black = solid(28, 28, 0, 0, 0);
  ImagePanel covered = black;
  covered.overlay.assign(28 * 28, 1.0f);
  covered.caption = "top-1 Sneaker 0.81";
  ImageGrid g;
  g.title = "Saliency";
  g.overlay_label = "saliency (normalised)";
  g.columns = 2;
  g.panels = {black, covered};
  write_image_grid_png(path("overlay.png"), g);
  RgbImage im = read_checked(path("overlay.png"), png_size(g));
  expect_a_figure(im);
  Region black_pixels = find(im, near(0, 0, 0, 2));
  Region red_pixels = find(im, [](Pixel p) { return p.r > 120 && p.g < 40 && p.b < 40; });
  EXPECT_GT(black_pixels.count, 28 * 28 * 64 * 9 / 10) << "the first panel, 8 x 8 screen pixels each";
  EXPECT_GT(red_pixels.count, 28 * 28 * 64 * 9 / 10) << "the second panel under a red overlay";
  EXPECT_GT(red_pixels.x, black_pixels.x + 100);
}

TEST_F(PlotsTest, BarStripsShowPositiveAndNegativeScores) {
  BarStrips b;
  b.title = "Per-patch saliency";
  b.x_label = "patch";
  b.y_label = "saliency";
  b.row_names = {"image 0, top-1 Trouser", "image 1, top-1 Bag"};
  b.values = {{0.5, -0.25, 1, 0}, {0.001, 0.002, -0.003, 0.004}};
  write_bar_strips_png(path("bars.png"), b);
  RgbImage im = read_checked(path("bars.png"), png_size(b));
  expect_a_figure(im);
  EXPECT_GT(find(im, near(31, 119, 180, 2)).count, 1000) << "positive bars";
  EXPECT_GT(find(im, near(255, 127, 14, 2)).count, 1000) << "negative bars";
}

TEST_F(PlotsTest, InvalidInputIsRefusedByName) {
  Heatmap h = one_hot_heatmap(0, 0);
  Heatmap bad = h;
  bad.values.pop_back();
  expect_invalid(this, write_heatmap_png, bad, "values has 8 entries, expected 9");
  bad = h;
  bad.values[4] = kNaN;
  expect_invalid(this, write_heatmap_png, bad, "values[4] is not finite");
  bad = h;
  bad.vmin = 1;
  expect_invalid(this, write_heatmap_png, bad, "vmin");
  bad = h;
  bad.title = "";
  expect_invalid(this, write_heatmap_png, bad, "title is empty");
  bad = h;
  bad.value_label = "";
  expect_invalid(this, write_heatmap_png, bad, "value_label is empty");
  bad = h;
  bad.group_breaks = {2};
  expect_invalid(this, write_heatmap_png, bad, "group_breaks[0] = 2");
  bad = h;
  bad.col_names.clear();
  expect_invalid(this, write_heatmap_png, bad, "col_names is empty");
  bad = h;
  bad.title = std::string(2000, 'x');
  expect_invalid(this, write_heatmap_png, bad, "more than 16384 a side");

  LinePlot p;
  p.title = "t";
  p.x_label = "x";
  p.y_label = "y";
  expect_invalid(this, write_line_png, p, "series is empty");
  p.series = {{"a", {0, 1}, {1}}};
  expect_invalid(this, write_line_png, p, "series[0] (\"a\") has 2 x values and 1 y values");
  p.series = {{"a", {0, 1}, {1, kNaN}}};
  expect_invalid(this, write_line_png, p, "series[0].y[1] is not finite");
  p.series = {{"a", {0, 1}, {1, 2}}, {"", {0}, {1}}};
  expect_invalid(this, write_line_png, p, "series[1] has no name");
  p.series = {{"a", {0, 1.5}, {1, 2}}};
  p.x_tick_names = {"conv1", "conv2"};
  expect_invalid(this, write_line_png, p, "series[0].x holds 1.5");

  ScatterPlot s;
  s.title = "t";
  s.x_label = "x";
  s.y_label = "y";
  expect_invalid(this, write_scatter_png, s, "there are no points");
  s.x = {1, 2};
  s.y = {1};
  expect_invalid(this, write_scatter_png, s, "x has 2 values and y 1");
  s.y = {1, std::numeric_limits<double>::infinity()};
  expect_invalid(this, write_scatter_png, s, "y[1] is not finite");

  Dendrogram d;
  d.title = "t";
  d.y_label = "distance";
  d.leaf_names = {"a"};
  expect_invalid(this, write_dendrogram_png, d, "a dendrogram needs at least 2");
  d.leaf_names = {"a", "b", "c"};
  d.merges = {{0, 1, 0.5}};
  expect_invalid(this, write_dendrogram_png, d, "merges has 1 entries, expected 2");
  d.merges = {{0, 1, 0.5}, {1, 2, 0.7}};
  expect_invalid(this, write_dendrogram_png, d, "merges[1] joins 1 a second time");
  d.merges = {{0, 4, 0.5}, {3, 2, 0.7}};
  expect_invalid(this, write_dendrogram_png, d, "merges[0] joins 4, not a leaf or an earlier merge");
  d.merges = {{0, 1, kNaN}, {3, 2, 0.7}};
  expect_invalid(this, write_dendrogram_png, d, "merges[0].height");

  ImageGrid g;
  g.title = "t";
  expect_invalid(this, write_image_grid_png, g, "panels is empty");
  g.panels = {solid(28, 28, 0, 0, 0), solid(32, 32, 0, 0, 0)};
  expect_invalid(this, write_image_grid_png, g, "panels[1] is 32 x 32 but panels[0] is 28 x 28");
  g.panels = {solid(28, 28, 0, 0, 0)};
  g.panels[0].rgb.pop_back();
  expect_invalid(this, write_image_grid_png, g, "panels[0].rgb has 2351 values, expected height x width x 3 = 2352");
  g.panels = {solid(28, 28, 0, 0, 0)};
  g.panels[0].rgb[7] = std::numeric_limits<float>::quiet_NaN();
  expect_invalid(this, write_image_grid_png, g, "panels[0].rgb[7] is not finite");
  g.panels = {solid(28, 28, 0, 0, 0)};
  g.panels[0].overlay.assign(10, 0.5f);
  expect_invalid(this, write_image_grid_png, g, "panels[0].overlay has 10 values");
  g.panels[0].overlay.assign(28 * 28, 0.5f);
  expect_invalid(this, write_image_grid_png, g, "overlay_label is empty");
  g.overlay_label = "saliency";
  g.columns = 0;
  expect_invalid(this, write_image_grid_png, g, "columns is 0");

  BarStrips b;
  b.title = "t";
  b.x_label = "patch";
  b.y_label = "saliency";
  expect_invalid(this, write_bar_strips_png, b, "values is empty");
  b.values = {{1, 2}, {1}};
  b.row_names = {"a", "b"};
  expect_invalid(this, write_bar_strips_png, b, "values[1] has 1 values but values[0] has 2");
  b.values = {{1, 2}};
  expect_invalid(this, write_bar_strips_png, b, "row_names has 2 names for 1 rows");
  b.row_names = {"a"};
  b.values = {{1, kNaN}};
  expect_invalid(this, write_bar_strips_png, b, "values[0][1] is not finite");
}

TEST_F(PlotsTest, AnUnwritablePathIsNamedAndLeavesNothing) {
  std::string file = path("missing-dir/figure.png");
  try {
    write_heatmap_png(file, one_hot_heatmap(0, 0));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files().empty());
  EXPECT_THROW(read_png_rgb(file), std::runtime_error);
}

TEST_F(PlotsTest, AShortWriteIsCaughtAndLeavesNoHalfPng) {
  // A file-size limit below the PNG's size: the cairo device ignores the failed writes, so only
  // reading the file back can tell. Run in a child so the limit does not outlive the test.
  std::string file = path("big.png");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing us
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 3;
    try {
      write_heatmap_png(file, one_hot_heatmap(0, 0));
      code = 1;
    } catch (const std::runtime_error& e) {
      code = std::string(e.what()).find("cannot write " + file) == std::string::npos ? 2 : 0;
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no exception, 2: the message does not name the file";
  EXPECT_TRUE(files().empty());
}

TEST_F(PlotsTest, RewritingReplacesTheFileWhole) {
  std::string file = path("fig.png");
  { std::ofstream(file) << "an old file"; }
  Heatmap h = one_hot_heatmap(0, 0);
  write_heatmap_png(file, h);
  write_heatmap_png(file, h);
  read_checked(file, png_size(h));
  EXPECT_EQ(files(), std::vector<std::string>{"fig.png"});
}

TEST_F(PlotsTest, WritersAreQuietAndSafeAcrossThreads) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(
        [this, t] { write_heatmap_png(path("t" + std::to_string(t) + ".png"), one_hot_heatmap(t % 3, 0)); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  for (int t = 0; t < 4; ++t) read_checked(path("t" + std::to_string(t) + ".png"), png_size(one_hot_heatmap(0, 0)));
}

}  // namespace
}  // namespace dcl::plot
