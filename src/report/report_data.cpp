#include "report_data.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "dcl/util/json_error.h"

namespace dcl::report {
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  return s.str();
}

std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    // Three bytes (zero-padded at the end) make four 6-bit digits; '=' marks the padding.
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 2]));
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? digits[n & 63] : '=';
  }
  return out;
}

std::optional<double> number_at(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}

double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size() - 1));
}

namespace {

nlohmann::json parse_json(const std::string& text, const std::string& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(where + " is not valid JSON (" + json_error_text(e) + ")");
  }
}

nlohmann::json read_json_object(const std::string& path) {
  nlohmann::json j = parse_json(read_file(path), path);
  if (!j.is_object()) throw std::runtime_error("corrupt JSON in " + path + ": not an object");
  return j;
}

std::vector<nlohmann::json> read_metrics(const std::string& path) {
  std::vector<nlohmann::json> epochs;
  if (!fs::exists(path)) return epochs;  // a run that has not finished its first epoch
  std::istringstream lines(read_file(path));
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + " line " + std::to_string(n);
    nlohmann::json j = parse_json(line, where);
    if (!j.is_object()) throw std::runtime_error("corrupt JSON in " + where + ": not an object");
    epochs.push_back(std::move(j));
  }
  return epochs;
}

// Every PNG of DIR/analysis/, by file name, with its caption.
std::vector<Figure> read_figures(const fs::path& dir) {
  std::vector<fs::path> pngs;
  const fs::path analysis = dir / "analysis";
  if (!fs::is_directory(analysis)) return {};
  for (const auto& entry : fs::directory_iterator(analysis)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (entry.is_regular_file() && ext == ".png") pngs.push_back(entry.path());
  }
  std::sort(pngs.begin(), pngs.end());
  std::vector<Figure> figures;
  for (const auto& png : pngs) {
    Figure f;
    f.file_name = png.filename().string();
    const std::string bytes = read_file(png.string());
    // A truncated or mislabelled file would show as a broken image: refuse it here, by name.
    if (bytes.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) != 0)
      throw std::runtime_error("corrupt PNG " + png.string() + ": no PNG signature");
    f.base64 = base64(bytes);
    f.caption = f.file_name;
    fs::path caption_file = png;
    caption_file.replace_extension(".json");
    if (fs::exists(caption_file)) {
      const nlohmann::json c = read_json_object(caption_file.string());
      if (c.contains("caption") && c["caption"].is_string()) f.caption = c["caption"].get<std::string>();
    }
    figures.push_back(std::move(f));
  }
  return figures;
}

std::string text_at(const nlohmann::json& object, const std::string& key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

Run read_run(const fs::path& dir) {
  Run r;
  r.dir = dir.string();
  r.config = read_json_object((dir / "config.json").string());
  if (fs::exists(dir / "summary.json")) r.summary = read_json_object((dir / "summary.json").string());
  r.epochs = read_metrics((dir / "metrics.jsonl").string());
  r.figures = read_figures(dir);
  // config.json has every setting; summary.json repeats the names, a fallback for a hand-made config.
  auto name = [&](const std::string& key) {
    std::string v = text_at(r.config, key);
    if (v.empty() && r.summary) v = text_at(*r.summary, key);
    return v.empty() ? std::string("?") : v;
  };
  r.method = name("method");
  r.data = name("data");
  r.arch = name("arch");
  return r;
}

// compare.csv is only read to recognise the directory (the table is rebuilt from the runs), but
// a file that is not what `dcl compare` writes means the directory is not what it seems.
void check_compare_csv(const fs::path& path) {
  const std::string text = read_file(path.string());
  if (text.rfind("method,", 0) != 0) throw std::runtime_error("corrupt " + path.string() + ": no 'method,...' header");
}

std::string identity(const fs::path& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(dir, ec);
  return ec ? dir.string() : p.string();
}

}  // namespace

std::vector<Source> load_sources(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw std::runtime_error("report: give at least one run or compare directory");
  std::vector<Source> sources;
  std::set<std::string> seen;
  for (const auto& d : dirs) {
    const fs::path dir(d);
    if (!seen.insert(identity(dir)).second) continue;
    Source s;
    s.dir = d;
    if (!fs::is_directory(dir)) throw std::runtime_error(d + ": no such directory");
    if (fs::exists(dir / "config.json")) {
      s.runs.push_back(read_run(dir));
    } else if (fs::exists(dir / "compare.csv") || fs::exists(dir / "compare.json")) {
      s.compare = true;
      if (fs::exists(dir / "compare.csv")) check_compare_csv(dir / "compare.csv");
      s.figures = read_figures(dir);
      std::vector<fs::path> subs;
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_directory() && fs::exists(entry.path() / "config.json")) subs.push_back(entry.path());
      std::sort(subs.begin(), subs.end());
      for (const auto& sub : subs)
        if (seen.insert(identity(sub)).second) s.runs.push_back(read_run(sub));
      // compare.json (experiments/compare.cpp) names every run the command started here.
      if (fs::exists(dir / "compare.json")) {
        const nlohmann::json manifest = read_json_object((dir / "compare.json").string());
        if (manifest.contains("runs") && manifest["runs"].is_array())
          for (const auto& name : manifest["runs"])
            if (name.is_string() && !fs::exists(dir / name.get<std::string>() / "config.json"))
              s.missing_runs.push_back(name.get<std::string>());
      }
    } else {
      throw std::runtime_error(d + " is neither a run directory (config.json) nor a compare directory (compare.csv)");
    }
    sources.push_back(std::move(s));
  }
  return sources;
}

namespace {

// What a run computed, as config.json says: every setting but the seed and those that only say
// where and how fast it ran. Runs that agree on it are seeds of one row.
nlohmann::json pooled_settings(const nlohmann::json& config) {
  static const std::set<std::string> kNotCompared = {"seed",         "out",      "threads",          "loader_threads",
                                                     "dist_timeout", "data_dir", "stop_after_steps", "tensorboard"};
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [key, value] : config.items())
    if (!kNotCompared.count(key)) kept[key] = value;
  return kept;
}

// "epochs=1, limit_train=2048": the settings in which `mine` differs from any of `others`.
std::string differences(const nlohmann::json& mine, const std::vector<nlohmann::json>& others) {
  std::set<std::string> keys;
  for (const auto& other : others)
    for (const auto& [key, value] : mine.items())
      if (!other.contains(key) || other[key] != value) keys.insert(key);
  for (const auto& other : others)
    for (const auto& [key, value] : other.items())
      if (!mine.contains(key)) keys.insert(key);
  std::string text;
  for (const auto& key : keys)
    text += (text.empty() ? "" : ", ") + key + "=" + (mine.contains(key) ? mine[key].dump() : std::string("-"));
  return text;
}

}  // namespace

std::vector<GroupRow> group_runs(const std::vector<const Run*>& runs) {
  // Rows pool only runs that differ in the seed alone: the key holds every other setting.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, GroupRow> rows;
  std::map<Key, nlohmann::json> settings;
  std::map<Key, std::vector<double>> seconds;
  for (const Run* r : runs) {
    const nlohmann::json pooled = pooled_settings(r->config);
    const Key key{r->data, r->arch, r->method, pooled.dump()};
    settings[key] = pooled;
    GroupRow& row = rows[key];
    row.data = r->data;
    row.arch = r->arch;
    row.method = r->method;
    if (!r->summary) {
      ++row.unfinished;
      continue;
    }
    const nlohmann::json& s = *r->summary;
    if (auto e = number_at(s, "test_error")) row.test_errors.push_back(*e);
    if (auto p = number_at(s, "params")) row.params = std::max(row.params.value_or(0), int64_t(std::llround(*p)));
    if (auto m = number_at(s, "peak_memory_bytes"))
      row.peak_mib = std::max(row.peak_mib.value_or(0), *m / double(1 << 20));
    auto t = number_at(s, "train_seconds");
    auto epochs = number_at(s, "epochs");
    if (t && epochs && *epochs > 0) seconds[key].push_back(*t / *epochs);
  }
  std::vector<GroupRow> out;
  for (auto& [key, row] : rows) {
    if (!seconds[key].empty()) row.seconds_per_epoch = mean(seconds[key]);
    // Rows of the same data, network and method that are not pooled say what sets them apart.
    std::vector<nlohmann::json> siblings;
    for (const auto& [other, other_settings] : settings)
      if (other != key && std::get<0>(other) == std::get<0>(key) && std::get<1>(other) == std::get<1>(key) &&
          std::get<2>(other) == std::get<2>(key))
        siblings.push_back(other_settings);
    if (!siblings.empty()) row.differs = differences(settings[key], siblings);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace dcl::report
