// `dcl report`'s page: built from fake run and compare directories in the exact formats the
// trainer writes; checked for content, for errors that name the bad file, and rendered in headless
// Chromium, whose DOM says how many charts and images really drew.
#include <png.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcl/report/html_report.h"

#ifndef DCL_TEST_ARTEFACT_DIR
#define DCL_TEST_ARTEFACT_DIR "/tmp"
#endif

namespace dcl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dcl_report_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name = "") const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small RGB gradient, a real PNG (libpng), as the analysis figures are.
void write_png(const std::string& path, int width, int height) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<png_byte> rgb;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int v : {255 * x / (width - 1), 255 * y / (height - 1), 128}) rgb.push_back(png_byte(v));
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = png_uint_32(width);
  image.height = png_uint_32(height);
  image.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), 0, nullptr)) << image.message;
}

struct FakeRun {
  std::string method = "dcl";
  int seed = 1;
  int blocks = 2;  // 0: BP, no block losses and no layer accuracies
  int epochs = 3;  // config.json's epochs
  int logged = 3;  // lines of metrics.jsonl (fewer: stopped early)
  bool finished = true;
  double test_error = 13.15;
  std::string data_dir = "";
};

// config.json, metrics.jsonl and summary.json as the trainer writes them (see runs/*/).
void write_run(const std::string& dir, const FakeRun& r) {
  json config = {{"arch", "fc"},         {"batch_size", 512}, {"data", "fmnist"},    {"data_dir", r.data_dir},
                 {"epochs", r.epochs},   {"lr", 0.0005},      {"method", r.method},  {"milestones", {4}},
                 {"optimizer", "adamw"}, {"seed", r.seed},    {"weight_decay", 0.01}};
  write_text(dir + "/config.json", config.dump(2));
  std::string metrics;
  for (int e = 1; e <= r.logged; ++e) {
    const double a = 0.80 + 0.02 * e;
    json test = {{"head_accuracy", a}, {"loss", 0.6 - 0.05 * e}, {"samples", 10000}};
    json line = {{"epoch", e},
                 {"epoch_seconds", 4.42},
                 {"images_per_second", 13563.3},
                 {"lr", 0.0005},
                 {"peak_memory_bytes", 39355480},
                 {"train_loss", 0.9 - 0.1 * e},
                 {"train_accuracy", nullptr}};
    if (r.blocks > 0) {
      json losses = json::array(), layers = json::array();
      for (int l = 0; l < r.blocks; ++l) {
        losses.push_back(0.7 - 0.05 * e - 0.01 * l);
        layers.push_back(a + 0.01 * l);
      }
      line["train_block_losses"] = losses;
      line["train_accuracy"] = a - 0.05;
      test["layer_accuracy"] = layers;
      test["ensemble_accuracy"] = a + 0.02;
    }
    line["test"] = test;
    metrics += line.dump() + "\n";
  }
  if (r.logged > 0) write_text(dir + "/metrics.jsonl", metrics);
  if (!r.finished) return;
  json summary = {{"arch", "fc"},
                  {"auxiliary_params", 1280},
                  {"data", "fmnist"},
                  {"epochs", r.epochs},
                  {"method", r.method},
                  {"params", 1867786},
                  {"peak_memory_bytes", 39355480},
                  {"steps", 590},
                  {"test_accuracy", 1 - r.test_error / 100},
                  {"test_error", r.test_error},
                  {"test_loss", 0.3589},
                  {"train_seconds", 23.06}};
  if (r.blocks > 0) {
    summary["ensemble_accuracy"] = 0.8748;
    summary["last_layer_accuracy"] = 0.8742;
    summary["layer_accuracy"] = {0.8717, 0.8742};
  }
  write_text(dir + "/summary.json", summary.dump(2));
}

std::optional<double> fake_reference(const std::string& method, const std::string& data, const std::string& arch) {
  if (method == "dcl" && data == "fmnist" && arch == "fc") return 5.52;
  return std::nullopt;
}

// Two seeds of dcl, a BP run (in a directory whose name needs escaping), and a compare directory
// with a finished dcl-s run, an unfinished one and the compare directory's own figure.
struct Fixture {
  TempDir tmp;
  std::string dcl1 = tmp.path("runs/dcl-1"), dcl2 = tmp.path("runs/dcl-2"), bp = tmp.path("runs/bp <&> 'x'");
  std::string compare = tmp.path("cmp");
  int expected_figures = 0;

  Fixture() {
    FakeRun r;
    r.seed = 1;
    r.test_error = 12.5;
    r.data_dir = "<b>x</b> & 'y'";
    write_run(dcl1, r);
    r.seed = 2;
    r.test_error = 13.5;
    r.data_dir = "";
    write_run(dcl2, r);
    write_png(dcl1 + "/analysis/b_weights.png", 8, 8);
    write_png(dcl1 + "/analysis/a_landscape.png", 64, 48);
    write_text(dcl1 + "/analysis/a_landscape.json", R"({"caption": "loss <landscape> & co"})");
    FakeRun b;
    b.method = "bp";
    b.blocks = 0;
    b.test_error = 11.0;
    write_run(bp, b);
    write_text(compare + "/compare.csv", "method,seeds,test_error_mean\ndcl-s,2,14.0\n");
    write_text(compare + "/compare.md", "# table\n");
    FakeRun s;
    s.method = "dcl-s";
    s.test_error = 14.0;
    write_run(compare + "/dcl-s-seed1", s);
    s.seed = 2;
    s.finished = false;
    s.logged = 1;
    write_run(compare + "/dcl-s-seed2", s);
    write_png(compare + "/analysis/summary.png", 32, 32);
    // Five runs with curves, two charts each, and three images.
    expected_figures = 5 * 2 + 3;
  }

  ReportOptions options() const {
    ReportOptions o;
    o.dirs = {dcl1, dcl2, bp, compare};
    o.reference_error = fake_reference;
    return o;
  }
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The <tr> of the comparison table that starts with these cells.
std::string table_row(const std::string& html, const std::string& method) {
  const std::string start = "<tr><td>fmnist</td><td>fc</td><td>" + method + "</td>";
  const size_t at = html.find(start);
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</tr>", at) - at);
}

TEST(HtmlReport, HoldsRunsNumbersAndComparison) {
  Fixture f;
  const std::string html = build_html_report(f.options());
  for (const auto& dir : {f.dcl1, f.dcl2, f.compare, f.compare + "/dcl-s-seed1", f.compare + "/dcl-s-seed2"})
    EXPECT_NE(html.find("<h2>" + dir + "</h2>"), std::string::npos) << dir;
  // Two dcl seeds, 12.5 and 13.5: mean 13, sample sd sqrt(0.5) = 0.707; reference 5.52 beside it.
  const std::string dcl = table_row(html, "dcl");
  EXPECT_NE(dcl.find("<td class=\"nowrap\">2</td>"), std::string::npos) << dcl;
  EXPECT_NE(dcl.find("13.00 ± 0.71"), std::string::npos) << dcl;
  EXPECT_NE(dcl.find("12.50, 13.50"), std::string::npos) << dcl;
  EXPECT_NE(dcl.find("1,867,786"), std::string::npos) << dcl;
  EXPECT_NE(dcl.find("<td class=\"num\">37.5</td>"), std::string::npos) << dcl;  // 39355480 B in MiB
  EXPECT_NE(dcl.find("<td class=\"num\">7.69</td>"), std::string::npos) << dcl;  // 23.06 s / 3 epochs
  EXPECT_NE(dcl.find("<td class=\"num\">5.52</td><td class=\"num\">+7.48</td>"), std::string::npos) << dcl;
  // One seed: no spread; no reference: "-" for it and for the difference.
  const std::string bp = table_row(html, "bp");
  EXPECT_NE(bp.find("<td class=\"num\">11.00</td>"), std::string::npos) << bp;
  EXPECT_NE(bp.find("<td class=\"num\">-</td><td class=\"num\">-</td>"), std::string::npos) << bp;
  // The compare directory contributes its subruns, the unfinished one counted apart.
  const std::string dcls = table_row(html, "dcl-s");
  EXPECT_NE(dcls.find("<td class=\"nowrap\">1 <span class=\"dim\">(+1 unfinished)</span></td>"), std::string::npos)
      << dcls;
  EXPECT_NE(dcls.find("<td class=\"num\">14.00</td>"), std::string::npos) << dcls;
  EXPECT_NE(html.find("unfinished: 1 epoch logged"), std::string::npos);
  // Per-run summary (percent of summary.json's fractions) and configuration.
  EXPECT_NE(html.find("<td>87.42</td>"), std::string::npos);  // last layer accuracy
  EXPECT_NE(html.find("<td>87.48</td>"), std::string::npos);  // ensemble accuracy
  EXPECT_NE(html.find("<th>weight_decay</th><td>0.01</td>"), std::string::npos);
  // Strings from files are escaped: a config value, a directory name, a caption.
  EXPECT_NE(html.find("&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"), std::string::npos);
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
  EXPECT_NE(html.find("bp &lt;&amp;&gt; &#39;x&#39;"), std::string::npos);
  EXPECT_EQ(html.find("bp <&>"), std::string::npos);
  EXPECT_NE(html.find("<figcaption>loss &lt;landscape&gt; &amp; co</figcaption>"), std::string::npos);
  EXPECT_NE(html.find("<figcaption>b_weights.png</figcaption>"), std::string::npos);
  EXPECT_LT(html.find("loss &lt;landscape&gt;"), html.find("b_weights.png"));  // sorted by file name
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 3u);
  // Self-contained: Chart.js inlined, nothing fetched.
  EXPECT_NE(html.find("Chart.js v"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("data-expected=\"" + std::to_string(f.expected_figures) + "\""), std::string::npos);
  EXPECT_NE(html.find("<nav class=\"toc\">"), std::string::npos);  // more than one run
}

TEST(HtmlReport, ChartsHaveOneLinePerBlock) {
  Fixture f;
  ReportOptions o = f.options();
  o.dirs = {f.dcl1};
  const std::string html = build_html_report(o);
  EXPECT_EQ(html.find("<nav class=\"toc\">"), std::string::npos);   // one run: no contents
  EXPECT_NE(html.find("\"label\":\"block1\""), std::string::npos);  // blocks named as their stages: block0, block1
  EXPECT_NE(html.find("\"label\":\"test, block1\""), std::string::npos);
  EXPECT_NE(html.find("\"label\":\"test, ensemble\""), std::string::npos);
  EXPECT_NE(html.find("\"y\":\"accuracy (%)\""), std::string::npos);
  EXPECT_NE(html.find("\"y\":\"loss\""), std::string::npos);
  o.dirs = {f.bp};
  const std::string bp = build_html_report(o);
  EXPECT_EQ(bp.find("\"label\":\"block0\""), std::string::npos);  // BP logs no block losses
  EXPECT_NE(bp.find("\"label\":\"train loss (total)\""), std::string::npos);
  EXPECT_NE(bp.find("\"label\":\"test, head\""), std::string::npos);
}

TEST(HtmlReport, InlinedScriptCannotCloseItsTag) {
  Fixture f;
  ReportOptions o = f.options();
  o.chart_js_path = f.tmp.path("chart.js");
  write_text(o.chart_js_path, "var a = '</script><b>';\n");
  const std::string html = build_html_report(o);
  EXPECT_NE(html.find("var a = '<\\/script><b>';"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 2u);  // Chart.js's tag and the page's own
}

TEST(HtmlReport, DirectoryGivenTwiceIsShownOnce) {
  Fixture f;
  ReportOptions o = f.options();
  o.dirs = {f.compare + "/dcl-s-seed1", f.compare, f.dcl1, f.dcl1};
  const std::string html = build_html_report(o);
  EXPECT_EQ(count(html, "<section class=\"run\""), 3u);
}

// Runs that differ in more than the seed are not pooled: each row says what sets it apart.
TEST(HtmlReport, RowsPoolOnlyRunsThatDifferInTheSeedAlone) {
  TempDir tmp;
  FakeRun a;
  a.test_error = 10;
  write_run(tmp.path("a"), a);
  FakeRun pooled = a;
  pooled.seed = 2;
  pooled.test_error = 12;
  pooled.data_dir = "elsewhere";  // where the data was read from does not change what was computed
  write_run(tmp.path("b"), pooled);
  FakeRun longer = a;
  longer.epochs = longer.logged = 5;
  longer.test_error = 50;
  write_run(tmp.path("c"), longer);
  ReportOptions o;
  o.dirs = {tmp.path("a"), tmp.path("b"), tmp.path("c")};
  const std::string html = build_html_report(o);
  const std::string three = table_row(html, "dcl <span class=\"dim\">(epochs=3)</span>");
  EXPECT_NE(three.find("11.00 ± 1.41"), std::string::npos) << three;
  const std::string five = table_row(html, "dcl <span class=\"dim\">(epochs=5)</span>");
  EXPECT_NE(five.find("<td class=\"num\">50.00</td>"), std::string::npos) << five;
}

// A compare directory's run that compare.json lists but that is gone is named, on the page and
// among the warnings.
TEST(HtmlReport, AMissingCompareRunIsNamed) {
  Fixture f;
  write_text(f.compare + "/compare.json", R"({"runs": ["dcl-s-seed1", "dcl-s-seed2", "dcl-s-seed3"]})");
  std::vector<std::string> warnings;
  const std::string html = build_html_report(f.options(), &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("the run dcl-s-seed3"), std::string::npos) << warnings[0];
  EXPECT_NE(html.find("missing: dcl-s-seed3"), std::string::npos);
}

// Never over a file the report did not write: a run's own file, or any other.
TEST(HtmlReport, WriteRefusesFilesItDidNotWrite) {
  Fixture f;
  const std::string config = read_text(f.dcl1 + "/config.json");
  EXPECT_THROW(write_html_report(f.options(), f.dcl1 + "/config.json"), std::invalid_argument);
  EXPECT_THROW(write_html_report(f.options(), f.dcl1 + "/checkpoint.pt"), std::invalid_argument);
  EXPECT_EQ(read_text(f.dcl1 + "/config.json"), config);
  const std::string notes = f.tmp.path("notes.html");
  write_text(notes, "old");
  EXPECT_THROW(write_html_report(f.options(), notes), std::invalid_argument);
  EXPECT_EQ(read_text(notes), "old");
}

TEST(HtmlReport, WriteReplacesTheFileWhole) {
  Fixture f;
  const std::string out = f.tmp.path("report.html");
  write_html_report(f.options(), out);
  write_html_report(f.options(), out);  // its own earlier page is replaced
  EXPECT_EQ(read_text(out), build_html_report(f.options()));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  EXPECT_THROW(write_html_report(f.options(), f.tmp.path("no/such/dir/report.html")), std::runtime_error);
}

// The message of build_html_report's exception, "" when it does not throw.
std::string error_of(const ReportOptions& o) {
  try {
    build_html_report(o);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(HtmlReport, BadDirectoriesAndCorruptFilesAreNamed) {
  Fixture f;
  ReportOptions o = f.options();
  auto expect_named = [&](const std::string& dir, const std::string& name) {
    o.dirs = {f.dcl1, dir};
    const std::string message = error_of(o);
    EXPECT_NE(message.find(name), std::string::npos) << "message: " << message;
  };
  expect_named(f.tmp.path("missing"), f.tmp.path("missing"));
  fs::create_directories(f.tmp.path("empty"));
  expect_named(f.tmp.path("empty"), f.tmp.path("empty") + " is neither a run directory");

  write_text(f.dcl2 + "/config.json", "{\"arch\": ");
  expect_named(f.dcl2, f.dcl2 + "/config.json");
  write_run(f.dcl2, FakeRun{});
  write_text(f.dcl2 + "/summary.json", "[1, 2]");
  expect_named(f.dcl2, f.dcl2 + "/summary.json");
  write_run(f.dcl2, FakeRun{});
  write_text(f.dcl2 + "/metrics.jsonl", "{\"epoch\":1}\n{\"epoch\":2,\n");
  expect_named(f.dcl2, f.dcl2 + "/metrics.jsonl line 2");
  write_run(f.dcl2, FakeRun{});
  write_text(f.dcl2 + "/analysis/plot.json", "caption?");
  write_png(f.dcl2 + "/analysis/plot.png", 8, 8);
  expect_named(f.dcl2, f.dcl2 + "/analysis/plot.json");
  fs::remove(f.dcl2 + "/analysis/plot.json");
  write_text(f.dcl2 + "/analysis/broken.png", "not a png");
  expect_named(f.dcl2, f.dcl2 + "/analysis/broken.png");
  write_text(f.compare + "/compare.csv", "garbage");
  expect_named(f.compare, f.compare + "/compare.csv");

  o.dirs = {f.dcl1};
  o.chart_js_path = f.tmp.path("chart.min.js");
  EXPECT_NE(error_of(o).find(o.chart_js_path), std::string::npos);
  o.dirs = {};
  EXPECT_THROW(build_html_report(o), std::runtime_error);
}

// ---- rendering in a browser -------------------------------------------------------------------

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  pclose(pipe);
  return out;
}

// The value of attribute `name` in the tag holding id="render-status" of a dumped DOM.
std::string status_attribute(const std::string& dom, const std::string& name) {
  const size_t id = dom.find("id=\"render-status\"");
  if (id == std::string::npos) return "<no #render-status>";
  const size_t start = dom.rfind('<', id), end = dom.find('>', id);
  const std::string tag = dom.substr(start, end - start);
  const size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return "<no " + name + ">";
  const size_t value = at + name.size() + 3;
  return tag.substr(value, tag.find('"', value) - value);
}

// Distinct colours of a PNG (at most `limit` counted); 0 when it cannot be read.
size_t png_colours(const std::string& path, size_t limit, png_uint_32* width) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) return 0;
  image.format = PNG_FORMAT_RGB;
  std::vector<png_byte> rgb(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) return 0;
  *width = image.width;
  std::set<uint32_t> colours;
  for (size_t i = 0; i + 2 < rgb.size() && colours.size() < limit; i += 3)
    colours.insert(uint32_t(rgb[i]) << 16 | uint32_t(rgb[i + 1]) << 8 | rgb[i + 2]);
  return colours.size();
}

TEST(HtmlReport, RendersEveryFigureInChromium) {
  ASSERT_EQ(std::system("command -v chromium >/dev/null 2>&1"), 0)
      << "chromium is not installed: the render test needs it. Install the Debian package `chromium` "
         "(scripts/install-deps.sh installs it).";
  Fixture f;
  const std::string page = f.tmp.path("report.html");
  write_html_report(f.options(), page);
  // --no-sandbox: Chromium refuses to run as root with its sandbox (CI containers). A private
  // profile directory, so that parallel test runs do not share one. timeout: a hung browser fails
  // the test instead of hanging it.
  const std::string chromium =
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--no-first-run --hide-scrollbars --user-data-dir=" +
      f.tmp.path("chromium-profile") + " --virtual-time-budget=10000 ";
  const std::string dom = run_command(chromium + "--dump-dom file://" + page + " 2>/dev/null");
  ASSERT_NE(dom.find("render-status"), std::string::npos) << "no DOM from chromium; got:\n" << dom.substr(0, 2000);
  const std::string expected = status_attribute(dom, "data-expected");
  EXPECT_EQ(expected, std::to_string(f.expected_figures));
  EXPECT_EQ(status_attribute(dom, "data-rendered"), expected);
  EXPECT_EQ(status_attribute(dom, "data-failed"), "");

  // The screenshot is kept for people to look at (CI artefact), with the page it shows.
  const std::string artefacts = DCL_TEST_ARTEFACT_DIR;
  fs::create_directories(artefacts);
  const std::string shot = artefacts + "/html_report_screenshot.png";
  fs::remove(shot);
  fs::copy_file(page, artefacts + "/html_report.html", fs::copy_options::overwrite_existing);
  run_command(chromium + "--screenshot=" + shot + " --window-size=1280,2000 file://" + page + " 2>&1");
  ASSERT_TRUE(fs::exists(shot)) << "chromium wrote no screenshot at " << shot;
  EXPECT_GT(fs::file_size(shot), 20000u);
  png_uint_32 width = 0;
  EXPECT_GE(png_colours(shot, 1000, &width), 200u) << shot << " looks blank";  // text, charts, images
  EXPECT_EQ(width, 1280u);
}

}  // namespace
}  // namespace dcl
