#include "dcl/experiments/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "dcl/data/registry.h"
#include "dcl/methods/method.h"
#include "dcl/training/build_model.h"
#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"

namespace dcl {
namespace fs = std::filesystem;

double CompareRow::mean_error() const {
  double s = 0;
  for (double e : test_errors) s += e;
  return test_errors.empty() ? 0 : s / double(test_errors.size());
}

double CompareRow::error_spread() const {
  if (test_errors.size() < 2) return 0;
  double m = mean_error(), s = 0;
  for (double e : test_errors) s += (e - m) * (e - m);
  return std::sqrt(s / double(test_errors.size() - 1));
}

std::optional<double> reference_error(const std::string& method, const std::string& data, const std::string& arch) {
  // Spec section 7, Table 3 (VGG8B): columns MNIST, F-MNIST, CIFAR-10, CIFAR-100, SVHN, STL-10. The
  // spec's fc and conv tables (its Tables 1 and 2) are garbled, so no other network has a number.
  if (arch != "vgg8b") return std::nullopt;
  static const std::vector<std::string> columns = {"mnist", "fmnist", "cifar10", "cifar100", "svhn", "stl10"};
  static const std::map<std::string, std::vector<double>> table = {
      {"bp", {0.26, 4.53, 5.99, 26.20, 2.29, 33.08}},     {"ll-predsim", {0.31, 4.65, 5.58, 24.10, 1.74, 20.51}},
      {"ll-bpf", {0.35, 5.68, 9.02, 37.60, 2.31, 26.12}}, {"ll-pred", {0.40, 5.66, 8.40, 29.30, 2.12, 26.83}},
      {"ll-sim", {0.65, 5.12, 7.16, 32.60, 1.89, 23.15}}, {"dcl", {0.33, 5.52, 8.64, 31.75, 2.19, 22.87}}};
  auto row = table.find(method);
  if (row == table.end()) return std::nullopt;
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == data) return row->second[i];
  return std::nullopt;
}

std::optional<double> reference_memory_mib(const std::string& method, const std::string& data,
                                           const std::string& arch) {
  // Spec section 7, Table 4 (VGG8B, GPU, reference batch size).
  if (arch != "vgg8b") return std::nullopt;
  if (data == "cifar10" || data == "svhn") {
    static const std::map<std::string, double> m = {{"bp", 1086}, {"ll-predsim", 1291}, {"ll-bpf", 895}, {"dcl", 747}};
    if (auto it = m.find(method); it != m.end()) return it->second;
  }
  if (data == "stl10") {
    if (method == "bp") return 2315.0;
    if (method == "dcl") return 1589.0;
  }
  return std::nullopt;
}

const std::vector<std::string>& dcl_variant_rows() {
  static const std::vector<std::string> rows = {"dcl-s", "dcl-s:dict_init=orthogonal", "dcl", "dcl:similarity=cos",
                                                "dcl:dict_map=linear"};
  return rows;
}

namespace {

struct RowSettings {
  std::string method;
  std::vector<std::pair<std::string, std::string>> settings;  // the row's own KEY=VALUE
};

// "METHOD[:KEY=VALUE...]", each KEY a config.json key that METHOD reads.
RowSettings parse_row(const RunConfig& base, const std::string& row) {
  std::vector<std::string> parts;
  std::stringstream ss(row);
  for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
  if (parts.empty() || parts[0].empty()) throw std::invalid_argument("--methods: an empty method in '" + row + "'");
  method_info(parts[0]);  // the method's name is checked first
  RowSettings r;
  r.method = parts[0];
  const nlohmann::json keys = base.to_json();
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    std::string key = parts[i].substr(0, eq), text = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    if (eq == std::string::npos || !keys.contains(key) || key == "method" || key == "out" || key == "seed")
      throw std::invalid_argument("--methods " + row + ": '" + parts[i] +
                                  "' is not KEY=VALUE with KEY a setting of config.json (e.g. dict_init=orthogonal)");
    r.settings.emplace_back(key, text);
  }
  std::vector<std::string> row_keys;
  for (const auto& [key, text] : r.settings) row_keys.push_back(key);
  try {
    require_settings_read({r.method}, row_keys);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--methods " + row + ": " + e.what());
  }
  return r;
}

// `cfg` with the row's settings, each value read as the type its key has.
RunConfig with_row_settings(const RunConfig& cfg, const RowSettings& r, const std::string& row) {
  nlohmann::json j = cfg.to_json();
  for (const auto& [key, text] : r.settings) {
    nlohmann::json& field = j[key];
    try {
      if (field.is_string()) {
        field = text;
      } else if (field.is_boolean()) {
        if (text != "true" && text != "false") throw std::invalid_argument("");
        field = text == "true";
      } else if (field.is_number_integer()) {
        size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument("");
        field = v;
      } else if (field.is_number()) {
        size_t used = 0;
        double v = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument("");
        field = v;
      } else {
        throw std::invalid_argument("");
      }
    } catch (const std::exception&) {
      throw std::invalid_argument("--methods " + row + ": " + key + " cannot be '" + text + "' (it is " +
                                  std::string(field.type_name()) + ", now " + field.dump() + ")");
    }
  }
  RunConfig out = RunConfig::from_json(j);
  out.stop_after_steps = cfg.stop_after_steps;  // a testing flag, not a setting config.json keeps
  validate(out);
  return out;
}

}  // namespace

RunConfig row_config(const RunConfig& base, const std::string& row, const std::vector<std::string>& given) {
  RowSettings r = parse_row(base, row);
  // The row's method brings its own preset; the command line's flags and the row's settings win.
  RunConfig with_preset = base;
  with_preset.method = r.method;
  std::vector<std::string> kept = given;
  for (const auto& [key, text] : r.settings) kept.push_back(key);
  apply_preset(with_preset, kept);
  return with_row_settings(with_preset, r, row);
}

RunConfig row_settings_config(const RunConfig& base, const std::string& row) {
  RowSettings r = parse_row(base, row);
  RunConfig cfg = base;
  cfg.method = r.method;
  return with_row_settings(cfg, r, row);
}

std::string compare_run_dir(const CompareOptions& o, const std::string& method, uint64_t seed) {
  std::string name = method;
  std::replace(name.begin(), name.end(), ':', '.');  // "dcl:dict_map=linear" -> "dcl.dict_map=linear"
  return (fs::path(o.out) / (name + "-seed" + std::to_string(seed))).string();
}

namespace {

// A run directory may only be reused for exactly the settings it was started with; where it
// lives, its thread count and its device do not change what it computes. Its config.json is read
// strictly (read_run_config): a missing or unknown key is an error naming the file and key.
void require_same_settings(const std::string& dir, const RunConfig& cfg) {
  nlohmann::json saved = read_run_config(dir + "/config.json").to_json(), wanted = cfg.to_json();
  std::string differences;
  for (auto& [key, value] : wanted.items()) {
    if (key == "out" || key == "threads" || key == "data_dir" || key == "device") continue;
    if (saved[key] != value)
      differences += (differences.empty() ? "" : ", ") + key + " " + saved[key].dump() + " (now " + value.dump() + ")";
  }
  if (!differences.empty())
    throw std::invalid_argument("run directory " + dir + " holds a run with other settings: " + differences +
                                "; choose another --out or remove it");
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string optional_text(const std::optional<double>& v, int digits) { return v ? fixed(*v, digits) : "-"; }

std::optional<double> mean_of(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

}  // namespace

std::string schedule_text(const RunConfig& c) {
  auto g = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  std::string out = name_of(c.optimizer.kind) + " lr " + g(c.optimizer.lr) + " wd " + g(c.optimizer.weight_decay);
  if (c.optimizer.kind == OptimizerKind::Sgd)
    out += std::string(c.optimizer.nesterov ? " nesterov" : "") + " momentum " + g(c.optimizer.momentum);
  out += ", batch " + std::to_string(c.batch_size) + ", " + std::to_string(c.epochs) + " epochs";
  if (c.lr_schedule == LrSchedule::Cooldown) {
    out += " (linear cool-down)";
  } else if (c.lr_schedule == LrSchedule::Cosine) {
    out += " (cosine, warm-up)";
  } else if (!c.milestones.empty()) {
    std::string at;
    for (int m : c.milestones) at += (at.empty() ? "" : ",") + std::to_string(m);
    out += " (x" + g(c.gamma) + " at " + at + ")";
  }
  return out;
}

namespace {

// The output directory becomes (or stays) a compare directory: never a run's directory, and never
// a folder whose compare.md or compare.csv another program wrote. compare.json lists every run
// this command started there (the union over its invocations), so a report can tell a run that
// was deleted from one that never was.
void claim_compare_directory(const CompareOptions& o) {
  if (is_run_directory(o.out))
    throw std::invalid_argument("--out " + o.out + " is a run directory (it holds " +
                                join_names(existing_run_files(o.out)) +
                                "); a compare directory keeps its runs in subdirectories: choose another --out");
  const bool ours = fs::exists(fs::path(o.out) / "compare.json") || fs::exists(fs::path(o.out) / "compare.csv");
  for (const auto& name : {"compare.md", "compare.csv", "learning_curves.png"})
    if (!ours && fs::exists(fs::path(o.out) / name))
      throw std::invalid_argument("--out " + o.out + " holds a " + name +
                                  " that dcl compare did not write; choose another --out");
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw std::runtime_error("cannot create the compare directory " + o.out + ": " + ec.message());
  const std::string manifest = o.out + "/compare.json";
  nlohmann::json j = fs::exists(manifest) ? read_json_file(manifest) : nlohmann::json::object();
  if (!j.is_object() || (j.contains("runs") && !j["runs"].is_array()))
    throw std::runtime_error(manifest + ": expected {\"runs\": [directory names]}");
  std::vector<std::string> runs = j.value("runs", std::vector<std::string>{});
  for (const auto& method : o.methods)
    for (int k = 0; k < o.seeds; ++k) {
      std::string name = fs::path(compare_run_dir(o, method, o.base.seed + uint64_t(k))).filename().string();
      if (std::find(runs.begin(), runs.end(), name) == runs.end()) runs.push_back(name);
    }
  j["runs"] = runs;
  write_file_atomic(manifest, j.dump(2) + "\n");
}

}  // namespace

std::vector<CompareRow> run_compare(const CompareOptions& o) {
  if (o.methods.empty()) throw std::invalid_argument("--methods: give at least one method (or --dcl-variants)");
  if (o.seeds < 1) throw std::invalid_argument("--seeds must be at least 1");
  if (o.out.empty()) throw std::invalid_argument("--out: an output directory is required");
  std::vector<std::string> row_methods;
  for (size_t i = 0; i < o.methods.size(); ++i) {
    if (std::find(o.methods.begin(), o.methods.begin() + long(i), o.methods[i]) != o.methods.begin() + long(i))
      throw std::invalid_argument("--methods names the row '" + o.methods[i] +
                                  "' twice; it would train the same runs twice (more seeds: --seeds)");
    row_methods.push_back(o.methods[i].substr(0, o.methods[i].find(':')));
  }
  require_settings_read(row_methods, o.given);
  validate(o.base);
  // Every row is checked, down to its built model (e.g. an orthogonal dictionary needs Z <= CD),
  // before the first run starts.
  const data::DatasetInfo& info = data::dataset_info(o.base.data, data_options(o.base));
  for (const auto& m : o.methods)
    build_model(row_config(o.base, m, o.given), {info.channels, info.height, info.width}, info.classes, info.fc_patches,
                info.fc_width);
  claim_compare_directory(o);
  std::vector<CompareRow> rows;
  int total = int(o.methods.size()) * o.seeds, index = 0;
  for (const auto& method : o.methods) {
    CompareRow row;
    row.method = method;
    double seconds = 0;
    for (int k = 0; k < o.seeds; ++k) {
      RunConfig cfg = row_config(o.base, method, o.given);
      row.schedule = schedule_text(cfg);
      cfg.seed = o.base.seed + uint64_t(k);
      cfg.out = compare_run_dir(o, method, cfg.seed);
      ++index;
      nlohmann::json summary;
      if (fs::exists(cfg.out + "/summary.json")) {
        require_same_settings(cfg.out, cfg);
        std::fprintf(stderr, "[%d/%d] %s: finished earlier, skipped\n", index, total, cfg.out.c_str());
        summary = read_json_file(cfg.out + "/summary.json");
      } else {
        bool resume = fs::exists(cfg.out + "/checkpoint.pt");
        if (resume) require_same_settings(cfg.out, cfg);
        std::fprintf(stderr, "[%d/%d] %s: %s\n", index, total, cfg.out.c_str(), resume ? "resuming" : "training");
        Trainer trainer(cfg, resume);
        summary = trainer.run();
        if (summary.is_null()) return {};
      }
      if (summary.contains("test_error") && summary["test_error"].is_number())
        row.test_errors.push_back(summary["test_error"].get<double>());
      // From the run's metrics, so that runs finished before summaries kept it count too.
      nlohmann::json best = best_test_results(cfg.out);
      if (best.contains("best_test_error")) row.best_errors.push_back(best["best_test_error"].get<double>());
      if (summary.contains("last_layer_accuracy") && summary["last_layer_accuracy"].is_number())
        row.layer_errors.push_back(100.0 * (1.0 - summary["last_layer_accuracy"].get<double>()));
      row.params = summary.value("params", int64_t(0));
      row.auxiliary_params = summary.value("auxiliary_params", int64_t(0));
      row.peak_memory_mib =
          std::max(row.peak_memory_mib, double(summary.value("peak_memory_bytes", int64_t(0))) / (1 << 20));
      seconds += summary.value("train_seconds", 0.0) / double(std::max(1, summary.value("epochs", 1)));
    }
    row.seconds_per_epoch = seconds / double(o.seeds);
    if (o.reference) {
      const std::string arch = row_config(o.base, method, o.given).arch;
      row.reference_error = reference_error(method, o.base.data, arch);
      row.reference_memory_mib = reference_memory_mib(method, o.base.data, arch);
    }
    rows.push_back(row);
  }
  write_file_atomic(o.out + "/compare.md", format_compare_markdown(o, rows));
  write_file_atomic(o.out + "/compare.csv", format_compare_csv(rows));
  try {
    plot::LinePlot curves = learning_curves(o);
    if (!curves.series.empty()) {
      plot::write_line_png(o.out + "/learning_curves.png", curves);
      std::fprintf(stderr, "learning curves: %s/learning_curves.png\n", o.out.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "no learning curves: %s\n", e.what());  // the tables stand without them
  }
  return rows;
}

std::string format_compare_markdown(const CompareOptions& o, const std::vector<CompareRow>& rows) {
  const RunConfig& c = o.base;
  std::string seeds = o.seeds == 1 ? std::to_string(c.seed)
                                   : std::to_string(c.seed) + ".." + std::to_string(c.seed + uint64_t(o.seeds) - 1);
  std::string out = "# " + c.data + ", " + c.arch + ": " + std::to_string(c.epochs) + " epoch" +
                    (c.epochs == 1 ? "" : "s") + ", seeds " + seeds + "\n\n";
  if (c.preset == Preset::None)
    out += "Same data, data order and budget for every method: " + schedule_text(c);
  else
    out += "Same data and data order; each method with its own `--preset " + name_of(c.preset) +
           "` (its schedule column) under the flags given";
  if (c.limit_train > 0) out += ", first " + std::to_string(c.limit_train) + " training images";
  if (c.limit_test > 0) out += ", first " + std::to_string(c.limit_test) + " test images";
  out += ", device " + c.device + ".\n\n";
  out +=
      "| method | test error % (mean ± sd) | per seed | best epoch's error % | last-block error % | params (network) | "
      "params (auxiliary) | peak training memory (MiB) | time / epoch (s) | schedule |";
  if (o.reference) out += " paper error % (VGG8B) | paper memory (MiB, VGG8B) |";
  out += "\n|---|---|---|---|---|---|---|---|---|---|";
  if (o.reference) out += "---|---|";
  out += "\n";
  for (const auto& r : rows) {
    std::string per_seed;
    for (double e : r.test_errors) per_seed += (per_seed.empty() ? "" : ", ") + fixed(e, 2);
    std::string error = r.test_errors.empty() ? "-" : fixed(r.mean_error(), 2);
    if (r.test_errors.size() > 1) error += " ± " + fixed(r.error_spread(), 2);
    out += "| " + r.method + " | " + error + " | " + (per_seed.empty() ? "-" : per_seed) + " | " +
           optional_text(mean_of(r.best_errors), 2) + " | " + optional_text(mean_of(r.layer_errors), 2) + " | " +
           std::to_string(r.params) + " | " + std::to_string(r.auxiliary_params) + " | " + fixed(r.peak_memory_mib, 1) +
           " | " + fixed(r.seconds_per_epoch, 1) + " | " + r.schedule + " |";
    if (o.reference)
      out += " " + optional_text(r.reference_error, 2) + " | " + optional_text(r.reference_memory_mib, 0) + " |";
    out += "\n";
  }
  out +=
      "\nTest error: the method's own prediction (the classifier head; CaFo: the sum of its predictors) after the "
      "last epoch; best epoch's: the lowest over the epochs, mean over seeds (what the authors' DCL code reports). "
      "Last-block error: the last block's layer-wise prediction alone (DCL: argmax over the dictionary; CaFo: its "
      "last predictor), mean over seeds. Spread: sample standard deviation over seeds. Peak memory: the largest over "
      "seeds (LibTorch's "
      "allocator on CPU, the caching allocator on CUDA). Auxiliary parameters: trainable state outside the network "
      "(dictionary, auxiliary heads, predictors); fixed random matrices are not counted.\n";
  if (o.reference)
    out +=
        "\nPaper columns: spec section 7 (Table 3 test error, Table 4 GPU memory), VGG8B at the paper's full "
        "schedule, on VGG8B rows only (the spec's fc and conv tables are garbled); '-' where the spec has no "
        "number. They are targets for `--arch vgg8b --preset paper`, not for short runs.\n";
  return out;
}

std::string format_compare_csv(const std::vector<CompareRow>& rows) {
  std::string out =
      "method,seeds,test_error_mean,test_error_sd,test_errors,best_error_mean,last_block_error_mean,params,auxiliary_"
      "params,"
      "peak_memory_mib,seconds_per_epoch,reference_error,reference_memory_mib,schedule\n";
  for (const auto& r : rows) {
    std::string per_seed;
    for (double e : r.test_errors) per_seed += (per_seed.empty() ? "" : ";") + fixed(e, 4);
    out += r.method + "," + std::to_string(r.test_errors.size()) + "," +
           (r.test_errors.empty() ? "" : fixed(r.mean_error(), 4)) + "," +
           (r.test_errors.empty() ? "" : fixed(r.error_spread(), 4)) + "," + per_seed + "," +
           (r.best_errors.empty() ? "" : fixed(*mean_of(r.best_errors), 4)) + "," +
           (r.layer_errors.empty() ? "" : fixed(*mean_of(r.layer_errors), 4)) + "," + std::to_string(r.params) + "," +
           std::to_string(r.auxiliary_params) + "," + fixed(r.peak_memory_mib, 2) + "," +
           fixed(r.seconds_per_epoch, 3) + "," + (r.reference_error ? fixed(*r.reference_error, 2) : "") + "," +
           (r.reference_memory_mib ? fixed(*r.reference_memory_mib, 0) : "") + ",\"" + r.schedule + "\"\n";
  }
  return out;
}

}  // namespace dcl
