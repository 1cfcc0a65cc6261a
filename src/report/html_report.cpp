// The HTML of `dcl report`: the runs read by report_data.cpp, written as one page with everything
// inlined. Every string that comes from a file goes through escape(); the curves go to the script
// as JSON with '<' escaped, so no file content can close a tag or a script.
#include "dcl/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "dcl/util/atomic_file.h"
#include "dcl/util/output_files.h"
#include "report_data.h"

namespace dcl {
namespace {

// Marks the page as this command's output: only such a file is replaced by a later report.
constexpr const char* kGeneratorTag = "<meta name=\"generator\" content=\"dcl report\">";

using nlohmann::json;
using report::number_at;
using report::Run;

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string fixed(const std::optional<double>& v, int digits) { return v ? fixed(*v, digits) : "-"; }

// 1867786 -> "1,867,786": parameter counts are read at a glance.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::optional<double> percent(const std::optional<double>& fraction) {
  if (!fraction) return std::nullopt;
  return 100.0 * *fraction;
}

// JSON placed inside <script>: ASCII only (no U+2028 surprises) and no '<', so that "</script>" in
// a string cannot end the script. '<' only occurs inside JSON strings, where \u003c means the same.
std::string script_json(const json& j) {
  const std::string text = j.dump(-1, ' ', true, json::error_handler_t::replace);
  std::string out;
  for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

// Chart.js itself, inlined: the minified file holds no "</script", but a newer one might; "<\/"
// means the same in JavaScript strings and regular expressions, where such text can appear.
std::string inline_script(const std::string& js) {
  std::string out;
  size_t from = 0;
  for (size_t at; (at = js.find("</script", from)) != std::string::npos; from = at + 1) {
    out.append(js, from, at + 1 - from);
    out += '\\';
  }
  out.append(js, from, std::string::npos);
  return out;
}

std::string seed_of(const Run& r) {
  auto s = number_at(r.config, "seed");
  return s ? std::to_string(std::llround(*s)) : "?";
}

std::string run_tags(const Run& r) {
  return escape(r.method) + " · " + escape(r.data) + " · " + escape(r.arch) + " · seed " + seed_of(r);
}

// ---- curves ---------------------------------------------------------------------------------

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f"};

json number_or_null(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

// Element `i` of the array `key` of `object`, when it is a number.
std::optional<double> element_at(const json& object, const std::string& key, size_t i) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_array() || i >= it->size() || !(*it)[i].is_number()) return std::nullopt;
  return (*it)[i].get<double>();
}

size_t array_size(const json& object, const std::string& key) {
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? it->size() : 0;
}

json dataset(const std::string& label, json data, const std::string& color, bool dashed, double width) {
  return {{"label", label}, {"data", std::move(data)}, {"color", color}, {"dashed", dashed}, {"width", width}};
}

// The two charts of a run: training losses (total and per block), test accuracies (head, per
// block, ensemble; and training accuracy when logged), one point per epoch.
std::vector<json> run_charts(const Run& r) {
  json labels = json::array();
  size_t blocks = 0, layers = 0;
  bool any_train_accuracy = false;
  static const json kNoTest = json::object();
  auto test_of = [](const json& e) -> const json& {
    auto it = e.find("test");
    return it != e.end() && it->is_object() ? *it : kNoTest;
  };
  for (size_t i = 0; i < r.epochs.size(); ++i) {
    const json& e = r.epochs[i];
    auto epoch = number_at(e, "epoch");
    labels.push_back(epoch ? std::llround(*epoch) : int64_t(i + 1));
    blocks = std::max(blocks, array_size(e, "train_block_losses"));
    layers = std::max(layers, array_size(test_of(e), "layer_accuracy"));
    any_train_accuracy = any_train_accuracy || number_at(e, "train_accuracy").has_value();
  }
  auto series = [&](auto value_of) {
    json data = json::array();
    for (const json& e : r.epochs) data.push_back(number_or_null(value_of(e)));
    return data;
  };

  json losses = json::array();
  losses.push_back(dataset("train loss (total)", series([](const json& e) { return number_at(e, "train_loss"); }),
                           "#222222", false, 2.5));
  for (size_t l = 0; l < blocks; ++l)
    losses.push_back(dataset("block" + std::to_string(l),
                             series([&](const json& e) { return element_at(e, "train_block_losses", l); }),
                             kPalette[l % std::size(kPalette)], false, 1.5));

  json accuracies = json::array();
  accuracies.push_back(dataset("test, head",
                               series([&](const json& e) { return percent(number_at(test_of(e), "head_accuracy")); }),
                               "#222222", false, 2.5));
  for (size_t l = 0; l < layers; ++l)
    accuracies.push_back(dataset("test, block" + std::to_string(l), series([&](const json& e) {
                                   return percent(element_at(test_of(e), "layer_accuracy", l));
                                 }),
                                 kPalette[l % std::size(kPalette)], false, 1.5));
  if (std::any_of(r.epochs.begin(), r.epochs.end(),
                  [&](const json& e) { return number_at(test_of(e), "ensemble_accuracy").has_value(); }))
    accuracies.push_back(dataset(
        "test, ensemble", series([&](const json& e) { return percent(number_at(test_of(e), "ensemble_accuracy")); }),
        "#d62728", true, 2));
  if (any_train_accuracy)
    accuracies.push_back(dataset("train, head",
                                 series([](const json& e) { return percent(number_at(e, "train_accuracy")); }),
                                 "#999999", true, 1.5));

  const std::string title = r.method + " on " + r.data + " (" + r.arch + ", seed " + seed_of(r) + ")";
  return {
      json{{"title", title + ": training loss per block"}, {"y", "loss"}, {"labels", labels}, {"sets", losses}},
      json{{"title", title + ": accuracy per block"}, {"y", "accuracy (%)"}, {"labels", labels}, {"sets", accuracies}}};
}

// ---- page parts -----------------------------------------------------------------------------

struct Page {
  std::string html;
  json charts = json::array();  // each with the id of its canvas
  int figures = 0;              // charts + images: what the render check expects
};

void add_charts(Page& page, const Run& r) {
  if (r.epochs.empty()) {
    page.html += "<p class=\"note\">No epoch logged yet.</p>\n";
    return;
  }
  page.html += "<div class=\"charts\">\n";
  for (json chart : run_charts(r)) {
    const std::string id = "chart-" + std::to_string(page.charts.size() + 1);
    chart["id"] = id;
    page.html += "<div class=\"chart\"><canvas id=\"" + id + "\" role=\"img\" aria-label=\"" +
                 escape(chart["title"].get<std::string>()) + "\"></canvas></div>\n";
    page.charts.push_back(std::move(chart));
    ++page.figures;
  }
  page.html += "</div>\n";
}

void add_figures(Page& page, const std::vector<report::Figure>& figures) {
  if (figures.empty()) return;
  page.html += "<h3>Analysis figures</h3>\n<div class=\"figures\">\n";
  for (const auto& f : figures) {
    page.html += "<figure><img class=\"analysis\" alt=\"" + escape(f.caption) + "\" data-name=\"" +
                 escape(f.file_name) + "\" src=\"data:image/png;base64," + f.base64 + "\"><figcaption>" +
                 escape(f.caption) + "</figcaption></figure>\n";
    ++page.figures;
  }
  page.html += "</div>\n";
}

void add_summary(Page& page, const Run& r) {
  if (!r.summary) {
    page.html += "<p class=\"status unfinished\">unfinished: " + std::to_string(r.epochs.size()) + " epoch" +
                 (r.epochs.size() == 1 ? "" : "s") + " logged, no summary.json yet</p>\n";
    return;
  }
  const json& s = *r.summary;
  auto params = number_at(s, "params"), aux = number_at(s, "auxiliary_params");
  std::string params_text = params ? grouped(std::llround(*params)) : "-";
  if (aux && *aux > 0) params_text += " <span class=\"dim\">+ " + grouped(std::llround(*aux)) + " auxiliary</span>";
  auto peak = number_at(s, "peak_memory_bytes");
  auto epochs = number_at(s, "epochs");
  const std::pair<const char*, std::string> cells[] = {
      {"epochs", epochs ? std::to_string(std::llround(*epochs)) : "-"},
      {"test error (%)", fixed(number_at(s, "test_error"), 2)},
      {"head accuracy (%)", fixed(percent(number_at(s, "test_accuracy")), 2)},
      {"last layer accuracy (%)", fixed(percent(number_at(s, "last_layer_accuracy")), 2)},
      {"ensemble accuracy (%)", fixed(percent(number_at(s, "ensemble_accuracy")), 2)},
      {"params", params_text},
      {"peak memory (MiB)", peak ? fixed(*peak / double(1 << 20), 1) : "-"},
      {"train time (s)", fixed(number_at(s, "train_seconds"), 1)}};
  page.html += "<table class=\"summary\"><tr>";
  for (const auto& c : cells) page.html += std::string("<th>") + c.first + "</th>";
  page.html += "</tr><tr>";
  for (const auto& c : cells) page.html += "<td>" + c.second + "</td>";
  page.html += "</tr></table>\n";
}

// config.json as key/value pairs, four to a row: it has about 45 keys.
void add_config(Page& page, const Run& r) {
  constexpr size_t kPerRow = 4;
  page.html += "<h3>Configuration</h3>\n<table class=\"config\">\n";
  size_t i = 0;
  for (const auto& [key, value] : r.config.items()) {
    if (i % kPerRow == 0) page.html += "<tr>";
    const std::string text =
        value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, json::error_handler_t::replace);
    page.html += "<th>" + escape(key) + "</th><td>" +
                 (text.empty() ? "<span class=\"dim\">\"\"</span>" : escape(text)) + "</td>";
    if (++i % kPerRow == 0) page.html += "</tr>\n";
  }
  if (i % kPerRow != 0) page.html += "</tr>\n";
  page.html += "</table>\n";
}

void add_run(Page& page, const Run& r, size_t index) {
  page.html += "<section class=\"run\" id=\"run-" + std::to_string(index) + "\">\n<h2>" + escape(r.dir) + "</h2>\n";
  page.html += "<p class=\"tags\">" + run_tags(r) + "</p>\n";
  add_summary(page, r);
  page.html += "<h3>Training curves</h3>\n";
  add_charts(page, r);
  add_figures(page, r.figures);
  add_config(page, r);
  page.html += "</section>\n";
}

void add_comparison(Page& page, const std::vector<const Run*>& runs, const ReportOptions& o) {
  page.html +=
      "<section id=\"comparison\">\n<h2>Comparison</h2>\n<table class=\"compare\">\n<tr><th>data</th>"
      "<th>arch</th><th>method</th><th>seeds</th><th>test error % (mean ± sd)</th><th>per seed</th>"
      "<th>params</th><th>peak memory (MiB)</th><th>time / epoch (s)</th><th>reference error %</th>"
      "<th>difference (pp)</th></tr>\n";
  for (const auto& row : report::group_runs(runs)) {
    std::optional<double> error, reference;
    std::string error_text = "-", per_seed;
    if (!row.test_errors.empty()) {
      error = report::mean(row.test_errors);
      error_text = fixed(*error, 2);
      if (row.test_errors.size() > 1) error_text += " ± " + fixed(report::sample_sd(row.test_errors), 2);
    }
    for (double e : row.test_errors) per_seed += (per_seed.empty() ? "" : ", ") + fixed(e, 2);
    if (o.reference_error) reference = o.reference_error(row.method, row.data, row.arch);
    std::string seeds = std::to_string(row.test_errors.size());
    if (row.unfinished > 0) seeds += " <span class=\"dim\">(+" + std::to_string(row.unfinished) + " unfinished)</span>";
    char difference[32] = "-";
    if (error && reference) std::snprintf(difference, sizeof difference, "%+.2f", *error - *reference);
    page.html += "<tr><td>" + escape(row.data) + "</td><td>" + escape(row.arch) + "</td><td>" + escape(row.method) +
                 (row.differs.empty() ? "" : " <span class=\"dim\">(" + escape(row.differs) + ")</span>") +
                 "</td><td class=\"nowrap\">" + seeds + "</td><td class=\"num\">" + error_text +
                 "</td><td class=\"num\">" + (per_seed.empty() ? "-" : per_seed) + "</td><td class=\"num\">" +
                 (row.params ? grouped(*row.params) : "-") + "</td><td class=\"num\">" + fixed(row.peak_mib, 1) +
                 "</td><td class=\"num\">" + fixed(row.seconds_per_epoch, 2) + "</td><td class=\"num\">" +
                 fixed(reference, 2) + "</td><td class=\"num\">" + difference + "</td></tr>\n";
  }
  page.html +=
      "</table>\n<p class=\"note\">Runs grouped by data, architecture and method when they differ in the seed alone (a "
      "row that differs in other settings says how, in brackets); finished runs only (a seed run twice "
      "counts twice). Spread: sample standard deviation over seeds. Params: the network's. Peak memory: the largest "
      "over seeds. Time per epoch: "
      "training seconds over epochs, mean over seeds. Reference: the specification's test error where it has one; "
      "difference = mean &minus; reference, in percentage points.</p>\n</section>\n";
}

void add_contents(Page& page, const std::vector<report::Source>& sources) {
  page.html += "<nav class=\"toc\">\n<h2>Contents</h2>\n<ol>\n<li><a href=\"#comparison\">Comparison</a></li>\n";
  size_t index = 0, source_index = 0;
  for (const auto& s : sources) {
    ++source_index;
    if (s.compare)
      page.html += "<li><a href=\"#source-" + std::to_string(source_index) + "\">" + escape(s.dir) +
                   "</a> <span class=\"dim\">compare</span>\n<ol>\n";
    for (const auto& r : s.runs)
      page.html += "<li><a href=\"#run-" + std::to_string(++index) + "\">" + escape(r.dir) +
                   "</a> <span class=\"dim\">" + run_tags(r) + (r.summary ? "" : " · unfinished") + "</span></li>\n";
    if (s.compare) page.html += "</ol></li>\n";
  }
  page.html += "</ol>\n</nav>\n";
}

const char* const kStyle = R"(
body { margin: 0; background: #f6f7f9; color: #1d2329; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 6px; word-break: break-all; }
h3 { font-size: 15px; margin: 18px 0 8px; color: #414b55; }
section, nav.toc { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 22px; margin: 18px 0; }
section.source { background: #eef2f7; }
.sub, .note, .dim { color: #66707a; }
.note { font-size: 13px; }
.tags { margin: 0 0 10px; color: #414b55; }
.status.unfinished { display: inline-block; background: #fff4d6; border: 1px solid #f0d68a; border-radius: 4px; padding: 2px 8px; }
table { border-collapse: collapse; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
th { font-weight: 600; color: #414b55; background: #f3f5f7; }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.compare, table.summary { width: 100%; }
table.summary td { font-variant-numeric: tabular-nums; font-size: 15px; }
table.config { font-size: 12px; width: 100%; table-layout: fixed; }
table.config th { font-weight: 500; width: 14%; }
table.config td { width: 11%; }
table.config th, table.config td { overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.chart { position: relative; height: 320px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
figure { margin: 0; padding: 8px; border: 1px solid #e6e9ed; border-radius: 6px; background: #fff; }
figure img { display: block; max-width: 100%; min-width: 96px; margin: 0 auto; image-rendering: auto; }
figcaption { margin-top: 6px; font-size: 13px; color: #414b55; text-align: center; }
nav.toc ol { margin: 0; padding-left: 22px; }
a { color: #1f5fa8; text-decoration: none; }
a:hover { text-decoration: underline; }
footer { color: #66707a; font-size: 12px; text-align: center; }
@media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
)";

// Creates every chart, then waits for every image, then records in #render-status how many
// figures really rendered: the render test reads it from the DOM of a headless browser.
const char* const kRenderScript = R"(
(function () {
  var failed = [], rendered = 0;
  CHARTS.forEach(function (spec) {
    try {
      var canvas = document.getElementById(spec.id);
      var chart = new Chart(canvas, {
        type: 'line',
        data: { labels: spec.labels, datasets: spec.sets.map(function (s) {
          return { label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color,
                   borderWidth: s.width, borderDash: s.dashed ? [6, 4] : [], tension: 0,
                   pointRadius: spec.labels.length > 40 ? 0 : 2.5 };  // dots would hide long curves
        }) },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          plugins: { title: { display: true, text: spec.title, font: { size: 13 } },
                     legend: { position: 'bottom', labels: { boxWidth: 18, boxHeight: 2 } } },
          // offset: a single epoch sits in the middle, not on the y axis.
          scales: { x: { title: { display: true, text: 'epoch' }, offset: spec.labels.length < 2 },
                    y: { title: { display: true, text: spec.y } } }
        }
      });
      if (chart && canvas.width > 0 && canvas.height > 0) rendered++; else failed.push(spec.id);
    } catch (e) {
      failed.push(spec.id);
    }
  });
  var images = Array.prototype.slice.call(document.querySelectorAll('img.analysis'));
  Promise.all(images.map(function (img) {
    return new Promise(function (done) {
      if (img.complete) return done();
      img.addEventListener('load', done);
      img.addEventListener('error', done);
    });
  })).then(function () {
    images.forEach(function (img) {
      if (img.complete && img.naturalWidth > 0) rendered++; else failed.push(img.dataset.name);
    });
    var status = document.getElementById('render-status');
    status.dataset.rendered = String(rendered);
    status.dataset.failed = failed.join(' ');
    status.textContent = rendered + ' of ' + status.dataset.expected + ' figures rendered' +
                         (failed.length ? ' (failed: ' + failed.join(', ') + ')' : '');
  });
})();
)";

}  // namespace

std::string build_html_report(const ReportOptions& o, std::vector<std::string>* warnings) {
  const std::vector<report::Source> sources = report::load_sources(o.dirs);
  for (const auto& s : sources)
    for (const auto& missing : s.missing_runs) {
      const std::string text = s.dir + ": the run " + missing +
                               " that dcl compare started there is missing (deleted or moved); its row counts the "
                               "seeds that remain";
      if (warnings) warnings->push_back(text);
    }
  const std::string chart_js = report::read_file(o.chart_js_path);
  std::vector<const Run*> runs;
  for (const auto& s : sources)
    for (const auto& r : s.runs) runs.push_back(&r);
  const auto finished = std::count_if(runs.begin(), runs.end(), [](const Run* r) { return r->summary.has_value(); });

  Page page;
  page.html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>dcl report</title>\n" +
      std::string(kGeneratorTag) + "\n<style>" + std::string(kStyle) +
      "</style>\n</head>\n<body>\n<main>\n<h1>dcl report</h1>\n<p class=\"sub\">" + std::to_string(runs.size()) +
      " run" + (runs.size() == 1 ? "" : "s") + " (" + std::to_string(finished) + " finished) from ";
  for (size_t i = 0; i < sources.size(); ++i)
    page.html += (i ? ", " : "") + std::string("<code>") + escape(sources[i].dir) + "</code>";
  page.html += "</p>\n";
  if (runs.size() > 1) add_contents(page, sources);
  add_comparison(page, runs, o);

  size_t index = 0, source_index = 0;
  for (const auto& s : sources) {
    ++source_index;
    if (s.compare) {
      page.html += "<section class=\"source\" id=\"source-" + std::to_string(source_index) + "\">\n<h2>" +
                   escape(s.dir) + "</h2>\n<p class=\"tags\">compare directory: " + std::to_string(s.runs.size()) +
                   " run" + (s.runs.size() == 1 ? "" : "s") + " below</p>\n";
      for (const auto& missing : s.missing_runs)
        page.html += "<p class=\"status unfinished\">missing: " + escape(missing) +
                     " (started by dcl compare here, no longer present; its row counts the seeds that remain)</p>\n";
      add_figures(page, s.figures);
      page.html += "</section>\n";
    }
    for (const auto& r : s.runs) add_run(page, r, ++index);
  }

  page.html += "<footer><div id=\"render-status\" data-expected=\"" + std::to_string(page.figures) +
               "\" data-rendered=\"0\" data-failed=\"\">figures not rendered (scripts off?)</div></footer>\n</main>\n";
  page.html += "<script>\n" + inline_script(chart_js) + "\n</script>\n";
  page.html += "<script>\nvar CHARTS = " + script_json(page.charts) + ";\n" + kRenderScript + "</script>\n";
  page.html += "</body>\n</html>\n";
  return page.html;
}

std::vector<std::string> write_html_report(const ReportOptions& o, const std::string& out_path) {
  // Only a page this command wrote earlier is replaced; never a run's own file (its checkpoint).
  check_output_file(out_path, "--out", [](const std::string& path) {
    const std::string head = file_head(path, 4096);
    return head.find(kGeneratorTag) != std::string::npos || head.find("<title>dcl report</title>") != std::string::npos;
  });
  std::vector<std::string> warnings;
  const std::string html = build_html_report(o, &warnings);  // built first: a failure leaves the old report alone
  write_file_atomic(out_path, html);
  return warnings;
}

}  // namespace dcl
