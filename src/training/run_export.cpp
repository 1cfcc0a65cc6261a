#include "dcl/training/run_export.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/script.h>  // torch::pickle_load

#include "dcl/data/augment.h"
#include "dcl/data/registry.h"
#include "dcl/training/build_model.h"
#include "dcl/training/checkpoint.h"
#include "dcl/training/run_files.h"
#include "dcl/util/atomic_file.h"

namespace dcl {

namespace {

constexpr int kExportFormat = 1;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// torch.save's file format (a zip archive of the pickled object and one record per tensor) for a
// dict of name -> tensor. Pickled untagged, as Python's torch.save writes a dict: torch.load's
// default weights-only unpickler refuses torch::pickle_save's type-tagged dicts.
std::string torch_save_bytes(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, t] : named) dict.insert(name, t.detach().cpu().contiguous());
  std::string pickled;
  torch::jit::Pickler pickler([&pickled](const char* bytes, size_t n) { pickled.append(bytes, n); }, nullptr, nullptr,
                              nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(dict);
  pickler.stop();
  std::string archive;
  caffe2::serialize::PyTorchStreamWriter writer([&archive](const void* bytes, size_t n) {
    archive.append(static_cast<const char*>(bytes), n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return archive;
}

LoadedModel build_loaded(const RunConfig& cfg, const InputShape& input, int classes, int fc_patches, int fc_width) {
  LoadedModel m;
  m.cfg = cfg;
  m.input = input;
  m.fc_patches = fc_patches;
  m.fc_width = fc_width;
  m.model = build_model(cfg, input, classes, fc_patches, fc_width);
  return m;
}

LoadedModel load_run_directory(const std::string& dir, const std::string& data_dir) {
  RunConfig cfg = read_run_config(dir + "/config.json");
  if (!data_dir.empty()) cfg.data_dir = data_dir;
  validate(cfg);
  const data::DatasetInfo& info = data::dataset_info(cfg.data, data_options(cfg));
  LoadedModel m =
      build_loaded(cfg, {info.channels, info.height, info.width}, info.classes, info.fc_patches, info.fc_width);
  m.class_names = info.class_names;
  m.mean = info.mean;
  m.std = info.std;
  m.epochs_trained = load_checkpoint(dir + "/checkpoint.pt", m.model, checkpoint_identity(cfg)).epoch;
  return m;
}

LoadedModel load_export(const std::string& file) {
  nlohmann::json a;
  try {
    a = nlohmann::json::parse(read_bytes(file + ".json"));
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(file + ".json is not valid JSON (" + std::string(e.what()) + ")");
  }
  if (a.value("format", "") != "dcl-export" || a.value("version", 0) != kExportFormat)
    throw std::runtime_error(file + ".json is not a dcl export of format version " + std::to_string(kExportFormat));
  RunConfig cfg = RunConfig::from_json(a.at("config"));
  const auto& in = a.at("input");
  LoadedModel m = build_loaded(cfg, {in.at("channels"), in.at("height"), in.at("width")}, a.at("classes"),
                               a.at("fc_patches"), a.at("fc_width"));
  m.class_names = a.at("class_names").get<std::vector<std::string>>();
  m.mean = a.at("mean").get<std::vector<float>>();
  m.std = a.at("std").get<std::vector<float>>();
  m.epochs_trained = a.value("epochs_trained", 0);
  std::string bytes = read_bytes(file);
  c10::IValue saved;
  try {
    saved = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    throw std::runtime_error(file + " is not a file torch.save wrote (" + e.what_without_backtrace() + ")");
  }
  if (!saved.isGenericDict()) throw std::runtime_error(file + " does not hold a dict of tensors");
  c10::impl::GenericDict tensors = saved.toGenericDict();
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : m.model.named_state()) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error(file + " has no tensor " + name + " (the model needs it)");
    torch::Tensor t = it->value().toTensor();
    if (t.sizes() != tensor.sizes())
      throw std::runtime_error(file + ": tensor " + name + " is " + c10::str(t.sizes()) + ", the model needs " +
                               c10::str(tensor.sizes()));
    tensor.copy_(t);
  }
  if (size_t(tensors.size()) != m.model.named_state().size())
    throw std::runtime_error(file + " holds tensors this model does not have (" + std::to_string(tensors.size()) +
                             " against " + std::to_string(m.model.named_state().size()) + ")");
  return m;
}

}  // namespace

torch::Tensor LoadedModel::normalise(const torch::Tensor& images) const {
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4 || images.size(1) != input.channels ||
      images.size(2) != input.height || images.size(3) != input.width)
    throw std::invalid_argument("normalise: expected uint8 images [N, " + std::to_string(input.channels) + ", " +
                                std::to_string(input.height) + ", " + std::to_string(input.width) + "], got " +
                                std::string(c10::toString(images.scalar_type())) + " " + c10::str(images.sizes()));
  torch::Tensor src = images.contiguous().cpu();
  torch::Tensor out = torch::empty(src.sizes(), torch::kFloat32);
  const int64_t per_image = src[0].numel();
  for (int64_t n = 0; n < src.size(0); ++n)
    data::augment_image(src.data_ptr<uint8_t>() + n * per_image, input.channels, input.height, input.width, {},
                        mean.data(), std.data(), out.data_ptr<float>() + n * per_image);
  return out;
}

torch::Tensor LoadedModel::predict(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model.train(false);
  return model.readout->predict(x).scores;
}

nlohmann::json LoadedModel::architecture() const {
  nlohmann::json tensors = nlohmann::json::object();
  for (auto& [name, t] : const_cast<Model&>(model).named_state()) tensors[name] = t.sizes().vec();
  return {{"format", "dcl-export"},
          {"version", kExportFormat},
          {"config", cfg.to_json()},
          {"input", {{"channels", input.channels}, {"height", input.height}, {"width", input.width}}},
          {"classes", class_names.size()},
          {"class_names", class_names},
          {"mean", mean},
          {"std", std},
          {"fc_patches", fc_patches},
          {"fc_width", fc_width},
          {"epochs_trained", epochs_trained},
          {"tensors", tensors}};
}

LoadedModel load_model(const std::string& path, const std::string& data_dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return load_run_directory(path, data_dir);
  if (!std::filesystem::exists(path, ec)) throw std::invalid_argument(path + ": no such run directory or export file");
  return load_export(path);
}

nlohmann::json export_run(const std::string& run_dir, const std::string& file, const std::string& data_dir) {
  if (!std::filesystem::is_directory(run_dir)) throw std::invalid_argument("--run " + run_dir + ": not a directory");
  LoadedModel m = load_run_directory(run_dir, data_dir);
  nlohmann::json a = m.architecture();
  write_file_atomic(file, torch_save_bytes(m.model.named_state()));
  write_file_atomic(file + ".json", a.dump(2) + "\n");
  return a;
}

}  // namespace dcl
