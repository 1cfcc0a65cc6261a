#include "dcl/training/checkpoint.h"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>

#include "dcl/methods/method.h"
#include "dcl/training/run_files.h"

namespace dcl {

namespace {

constexpr int64_t kFormat = 3;

torch::Tensor doubles(const std::vector<double>& v) {
  return torch::tensor(v.empty() ? std::vector<double>{} : v, torch::kFloat64);
}

torch::Tensor bytes_tensor(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {int64_t(s.size())}, torch::kUInt8).clone();
}

std::string tensor_bytes(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kUInt8);
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), size_t(c.numel()));
}

int64_t crc32_of(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const Bytef* p = reinterpret_cast<const Bytef*>(bytes.data());
  for (size_t done = 0; done < bytes.size();) {
    uInt n = uInt(std::min<size_t>(bytes.size() - done, 1u << 30));
    crc = crc32(crc, p + done, n);
    done += n;
  }
  return int64_t(crc);
}

// The keys of `expected` whose values differ in `saved`, as "key: checkpoint X, this run Y". A
// method setting that a checkpoint written before it existed lacks had its declared default.
std::string identity_mismatch(const nlohmann::json& saved, const nlohmann::json& expected) {
  std::string out;
  for (const auto& [key, want] : expected.items()) {
    if (key == "settings_hash") continue;
    nlohmann::json have = nlohmann::json("(absent)");
    if (saved.contains(key))
      have = saved.at(key);
    else if (const Setting* s = find_setting(key))
      have = s->default_value;
    else if (key == "local_modules")
      have = 0;  // checkpoints written before the setting existed: no network had modules
    if (have != want)
      out += (out.empty() ? "" : ", ") + key + ": checkpoint " + have.dump() + ", this run " + want.dump();
  }
  return out;
}

}  // namespace

nlohmann::json checkpoint_identity(const RunConfig& cfg) {
  nlohmann::json all = cfg.to_json(), id;
  // What shapes the tensors (network, head, the method's settings declared as shaping them) or
  // gives them their meaning (method, optimiser state), in config.json's keys.
  for (const char* key : {"method", "arch", "data", "fc_width", "fc_patches", "local_modules", "optimizer"})
    id[key] = all.at(key);
  for (const Setting& s : method_info(cfg.method).settings)
    if (s.shapes_tensors) id[s.key] = all.at(s.key);
  std::string text = id.dump();
  char hash[16];
  std::snprintf(hash, sizeof hash, "%08llx", (unsigned long long)crc32_of(text));
  id["settings_hash"] = hash;
  return id;
}

void save_checkpoint(const std::string& path, Model& model, const TrainingProgress& p, const nlohmann::json& identity) {
  torch::serialize::OutputArchive payload;
  for (auto& [name, t] : model.named_state()) payload.write("state." + name, t.detach().cpu(), /*is_buffer=*/true);
  for (auto& stage : model.stages) {
    torch::serialize::OutputArchive sub;
    stage->optimizer().save(sub);
    payload.write("optimizer." + stage->name(), sub);
  }
  payload.write("identity", bytes_tensor(identity.dump()), true);
  payload.write("rng.cpu", at::detail::getDefaultCPUGenerator().get_state(), true);
  payload.write(
      "progress.ints",
      torch::tensor({int64_t(p.epoch), p.batch, p.step, p.correct, p.seen, p.peak_bytes, int64_t(p.has_accuracy)}),
      true);
  payload.write("progress.reals", doubles({p.loss_sum, p.epoch_seconds, p.train_seconds}), true);
  payload.write("progress.block_loss_sums", doubles(p.block_loss_sums), true);
  std::ostringstream inner;
  payload.save_to(inner);
  const std::string bytes = inner.str();

  torch::serialize::OutputArchive file;
  file.write("format", torch::tensor({kFormat}), true);
  file.write("payload", bytes_tensor(bytes), true);
  file.write("checksum", torch::tensor({crc32_of(bytes)}), true);
  std::ostringstream out;
  file.save_to(out);
  write_file_atomic(path, out.str());
}

TrainingProgress load_checkpoint(const std::string& path, Model& model, const nlohmann::json& identity) {
  if (!std::ifstream(path)) throw std::runtime_error("checkpoint " + path + " does not exist");
  try {
    torch::serialize::InputArchive file;
    file.load_from(path);
    torch::Tensor format;
    if (!file.try_read("format", format, true))
      throw std::runtime_error(
          "it was written by an earlier version of dcl (checkpoint format 1), which this "
          "version cannot resume; evaluate or continue it with that version, or start a new run");
    if (format.item<int64_t>() != kFormat)
      throw std::runtime_error("it has checkpoint format " + std::to_string(format.item<int64_t>()) +
                               "; this version of dcl reads format " + std::to_string(kFormat) +
                               " only: continue it with the version that wrote it, or start a new run");
    torch::Tensor payload_tensor, checksum;
    file.read("payload", payload_tensor, true);
    file.read("checksum", checksum, true);
    const std::string bytes = tensor_bytes(payload_tensor);
    if (crc32_of(bytes) != checksum.item<int64_t>())
      throw std::runtime_error(
          "its contents are damaged (checksum mismatch); the file was changed after it was "
          "written. Resume from a backup, or start a new run");

    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    torch::Tensor saved_identity;
    archive.read("identity", saved_identity, true);
    std::string mismatch = identity_mismatch(nlohmann::json::parse(tensor_bytes(saved_identity)), identity);
    if (!mismatch.empty()) throw std::runtime_error("it belongs to another run (" + mismatch + ")");

    torch::NoGradGuard no_grad;
    for (auto& [name, t] : model.named_state()) {
      torch::Tensor saved;
      archive.read("state." + name, saved, true);
      if (!saved.sizes().equals(t.sizes()))
        throw std::runtime_error("tensor " + name + " has shape " + c10::str(saved.sizes()) + ", the model expects " +
                                 c10::str(t.sizes()));
      t.copy_(saved);
    }
    for (auto& stage : model.stages) {
      torch::serialize::InputArchive sub;
      archive.read("optimizer." + stage->name(), sub);
      stage->optimizer().load(sub);
    }
    torch::Tensor rng, ints, reals, blocks;
    archive.read("rng.cpu", rng, true);
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(rng);
    archive.read("progress.ints", ints, true);
    archive.read("progress.reals", reals, true);
    archive.read("progress.block_loss_sums", blocks, true);
    TrainingProgress p;
    auto i = ints.accessor<int64_t, 1>();
    p.epoch = int(i[0]);
    p.batch = i[1];
    p.step = i[2];
    p.correct = i[3];
    p.seen = i[4];
    p.peak_bytes = i[5];
    p.has_accuracy = i[6] != 0;
    auto r = reals.accessor<double, 1>();
    p.loss_sum = r[0];
    p.epoch_seconds = r[1];
    p.train_seconds = r[2];
    for (int64_t k = 0; k < blocks.numel(); ++k) p.block_loss_sums.push_back(blocks[k].item<double>());
    return p;
  } catch (const c10::Error& e) {
    throw std::runtime_error("checkpoint " + path +
                             " is corrupt or does not match this model: " + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint " + path + " is corrupt: its identity record is unreadable");
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("checkpoint " + path + " is unusable: " + e.what());
  }
}

}  // namespace dcl
