#include "dcl/stages/model.h"

#include <set>
#include <stdexcept>

namespace dcl {

Stage& Model::stage(const std::string& name) {
  std::string names;
  for (auto& s : stages) {
    if (s->name() == name) return *s;
    names += (names.empty() ? "" : ", ") + s->name();
  }
  throw std::out_of_range("no stage '" + name + "' (stages: " + names + ")");
}

int64_t Model::network_parameters() { return net->parameter_count(); }

int64_t Model::auxiliary_parameters() {
  std::set<const void*> in_net;
  for (const auto& p : net->parameters()) in_net.insert(p.unsafeGetTensorImpl());
  int64_t n = 0;
  for (auto& [name, t] : named_state())
    if (t.requires_grad() && !in_net.count(t.unsafeGetTensorImpl())) n += t.numel();
  return n;
}

void Model::to(const torch::Device& device) {
  net->to(device);
  for (auto& [name, m] : shared) m->to(device);
  for (auto& s : stages) {
    s->block().to(device);
    s->loss().to(device);
  }
}

void Model::train(bool on) {
  net->train(on);
  for (auto& [name, m] : shared) m->train(on);
  for (auto& s : stages) s->train(on);  // frozen blocks stay in eval mode
}

void Model::set_amp(Amp amp, c10::DeviceType device) {
  for (auto& s : stages) s->set_amp(amp, device);
}

void Model::set_lr(double lr) {
  for (auto& s : stages) s->set_lr(lr);
}

std::vector<std::pair<std::string, torch::Tensor>> Model::named_state() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  std::set<const void*> seen;
  auto add = [&](const std::string& prefix, torch::nn::Module& m) {
    for (const auto& p : m.named_parameters())
      if (seen.insert(p.value().unsafeGetTensorImpl()).second) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : m.named_buffers())
      if (seen.insert(b.value().unsafeGetTensorImpl()).second) out.emplace_back(prefix + b.key(), b.value());
  };
  add("net.", *net);
  for (auto& [name, m] : shared) add("shared." + name + ".", *m);
  for (auto& s : stages) {
    add("stage." + s->name() + ".block.", s->block());
    add("stage." + s->name() + ".loss.", s->loss());
  }
  return out;
}

}  // namespace dcl
