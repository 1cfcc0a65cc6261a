#include "dcl/training/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>

namespace dcl {

namespace {

constexpr int64_t kFormat = 2;

torch::Tensor doubles(const std::vector<double>& v) {
  return torch::tensor(v.empty() ? std::vector<double>{} : v, torch::kFloat64);
}

}  // namespace

void save_checkpoint(const std::string& path, Model& model, const TrainingProgress& p) {
  torch::serialize::OutputArchive archive;
  for (auto& [name, t] : model.named_state()) archive.write("state." + name, t.detach().cpu(), /*is_buffer=*/true);
  archive.write("format", torch::tensor({kFormat}), true);
  for (auto& stage : model.stages) {
    torch::serialize::OutputArchive sub;
    stage->optimizer().save(sub);
    archive.write("optimizer." + stage->name(), sub);
  }
  archive.write("rng.cpu", at::detail::getDefaultCPUGenerator().get_state(), true);
  archive.write(
      "progress.ints",
      torch::tensor({int64_t(p.epoch), p.batch, p.step, p.correct, p.seen, p.peak_bytes, int64_t(p.has_accuracy)}),
      true);
  archive.write("progress.reals", doubles({p.loss_sum, p.epoch_seconds, p.train_seconds}), true);
  archive.write("progress.block_loss_sums", doubles(p.block_loss_sums), true);
  std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

TrainingProgress load_checkpoint(const std::string& path, Model& model) {
  if (!std::ifstream(path)) throw std::runtime_error("checkpoint " + path + " does not exist");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor format;
    if (!archive.try_read("format", format, true) || format.item<int64_t>() != kFormat)
      throw std::runtime_error(
          "it was written by an earlier version of dcl (checkpoint format 1, before stages), which "
          "this version cannot resume; evaluate or continue it with that version, or start a new run");
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
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("checkpoint " + path + " is unusable: " + e.what());
  }
}

}  // namespace dcl
