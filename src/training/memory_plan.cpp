#include "dcl/training/memory_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <stdexcept>

#include "dcl/nn/conv_block.h"

namespace dcl {

int64_t parse_memory_size(const std::string& text) {
  static const std::regex re("^([0-9]+(\\.[0-9]+)?)\\s*(|B|K|KB|KiB|M|MB|MiB|G|GB|GiB|T|TB|TiB)$");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw std::invalid_argument("--memory-budget '" + text + "' is not a size (e.g. 300MiB, 1.5GiB, 800MB, 1TiB)");
  const std::string unit = m[3];
  double scale = 1;
  if (!unit.empty() && unit != "B") {
    const bool binary = unit.size() == 1 || unit.find('i') != std::string::npos;  // K, M, G: binary as in ls -h
    const double base = binary ? 1024.0 : 1000.0;
    const int power = unit[0] == 'K' ? 1 : unit[0] == 'M' ? 2 : unit[0] == 'G' ? 3 : 4;
    scale = std::pow(base, power);
  }
  const double bytes = std::stod(m[1]) * scale;
  if (bytes < 1 || bytes > 9e18) throw std::invalid_argument("--memory-budget '" + text + "' is out of range");
  return int64_t(bytes);
}

std::string format_mib(int64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f MiB", double(bytes) / (1 << 20));
  return s;
}

namespace {

int optimizer_slots(const OptimizerOptions& o) {
  if (o.kind == OptimizerKind::Sgd) return o.momentum > 0 ? 1 : 0;
  return 2;  // Adam, AdamW: first and second moments
}

int64_t bytes_of(const torch::Tensor& t) { return t.numel() * int64_t(t.element_size()); }

}  // namespace

std::vector<BlockMemoryPlan> plan_memory(Model& model, const RunConfig& cfg, const InputShape& input, int64_t budget) {
  for (auto& s : model.stages)
    if (s->kind() == StageKind::Network) {
      if (budget < 0) return {};  // BP keeps its blocks' fixed chunks
      throw std::invalid_argument(
          "--memory-budget applies to local methods, which hold one block's activations at a "
          "time; " +
          cfg.method + " trains the network end to end and holds every block's");
    }
  const int64_t B = cfg.batch_size, slots = optimizer_slots(cfg.optimizer);
  int64_t held = int64_t(B) * input.channels * input.height * input.width * 4 + B * 8;  // the batch
  for (auto& [name, t] : model.named_state()) held += bytes_of(t) * (t.requires_grad() ? 1 + slots : 1);

  // Every conv block's sizes, from one sample through the network.
  struct Sizes {
    int block;
    ConvBlockImpl* conv;
    int64_t x, y, out, code;
    bool bf16;  // --amp bf16 keeps y in bfloat16: half its bytes
    int64_t peak(int64_t held, int64_t B, int64_t chunk, bool recompute) const {
      const int64_t temporaries = (2 * y + x) / B * chunk;
      return held + x + (recompute ? 0 : bf16 ? y / 2 : y) + out + code + out + temporaries;
    }
  };
  std::vector<Sizes> sizes;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor h = torch::zeros({1, input.channels, input.height, input.width});
    for (size_t l = 0; l < model.net->blocks.size(); ++l) {
      auto& block = model.net->blocks[l];
      const bool was_training = block->is_training();
      block->eval();  // the shape probe must not move BatchNorm's running statistics
      for (auto& m : block->modules(/*include_self=*/false))
        if (auto* conv = dynamic_cast<ConvBlockImpl*>(m.get())) {
          const int64_t x = B * h.numel() * 4, y = B * conv->conv->forward(h).numel() * 4;
          const bool pool = conv->options().pool;
          sizes.push_back({int(l), conv, x, y, pool ? y / 4 : y, pool ? y / 16 : 0, cfg.amp == Amp::Bf16});
        }
      h = block->forward(h);
      block->train(was_training);
    }
  }

  if (budget >= 0 && sizes.empty())
    throw std::invalid_argument(
        "--memory-budget plans the memory of conv blocks (batch chunks, recomputed "
        "convolutions); arch " +
        cfg.arch + " has none, so a budget would change nothing");
  int64_t target = 0, margin = 0;
  if (budget < 0) {
    // No budget: the peak of the fixed plan (y kept, chunks of 32) is the limit, so only the blocks
    // below the one that sets the peak give up chunking (one convolution call, no copies into y).
    for (const auto& s : sizes) target = std::max(target, s.peak(held, B, std::min<int64_t>(32, B), false));
  } else {
    // What the estimate leaves out (the loss's temporaries, the head, the allocator's rounding):
    // measured at up to 5 MiB on VGG8B (3x96x96, batch 32); plans are made for the budget less this.
    margin = std::max<int64_t>(int64_t(8) << 20, budget / 50);
    target = budget - margin;
  }
  std::vector<int64_t> chunks = {B};
  for (int64_t c : {64, 32, 16, 8, 4, 2, 1})
    if (c < B) chunks.push_back(c);

  std::vector<BlockMemoryPlan> plans;
  for (const auto& s : sizes) {
    BlockMemoryPlan best{s.block, 1, true, s.peak(held, B, 1, true)};
    bool found = false;
    for (bool recompute : {false, true}) {
      for (int64_t chunk : chunks)
        if (s.peak(held, B, chunk, recompute) <= target) {
          best = {s.block, chunk, recompute, s.peak(held, B, chunk, recompute)};
          found = true;
          break;
        }
      if (found) break;
    }
    if (!found)
      throw std::invalid_argument("--memory-budget " + format_mib(budget) + " is below what block " +
                                  std::to_string(s.block) + " needs at the least: about " +
                                  format_mib(best.estimated_peak) + " (" + format_mib(held) +
                                  " of parameters, optimiser state and batch, " + format_mib(s.x) + " of its input, " +
                                  format_mib(s.out + s.code) +
                                  " of its output and as much again for the output's "
                                  "gradient, with its convolution recomputed in chunks of one sample), plus a margin "
                                  "of " +
                                  format_mib(margin) +
                                  " for what the estimate leaves out; raise it or lower "
                                  "--batch-size");
    s.conv->set_memory_plan(best.chunk, best.recompute);
    plans.push_back(best);
  }
  return plans;
}

void apply_memory_budget(Model& model, const RunConfig& cfg, const InputShape& input) {
  if (cfg.memory_budget.empty()) {
    plan_memory(model, cfg, input, -1);
    return;
  }
  auto plans = plan_memory(model, cfg, input, parse_memory_size(cfg.memory_budget));
  std::fprintf(stderr, "memory plan of %s for --memory-budget %s:\n%s", cfg.method.c_str(), cfg.memory_budget.c_str(),
               describe(plans).c_str());
}

std::string describe(const std::vector<BlockMemoryPlan>& plans) {
  std::string s;
  for (const auto& p : plans)
    s += "  block " + std::to_string(p.block) + ": " + (p.recompute ? "recompute y" : "keep y") + ", chunks of " +
         std::to_string(p.chunk) + ", estimated peak " + format_mib(p.estimated_peak) + "\n";
  return s;
}

}  // namespace dcl
