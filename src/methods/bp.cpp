// BP: end-to-end backpropagation, the baseline. One stage over the whole network.
// Its two memory-fair forms (the baselines a BP user would reach for before local learning):
//  - --checkpoint-segments S: activation checkpointing over S segments of consecutive blocks (on a
//    ResNet built with --local-modules K, S = K puts them at the local modules' boundaries); every
//    segment but the last keeps only its input and is computed again in the backward
//    (stages/activation_checkpoint.h);
//  - --accumulate N: gradient accumulation over N micro-batches (Stage::set_micro_batches).
#include <algorithm>

#include "dcl/methods/method.h"
#include "dcl/stages/activation_checkpoint.h"

namespace dcl {

namespace {

// The network's forward with its blocks in `segments` runs of consecutive blocks (the first runs
// one block longer when the count does not divide), all but the last checkpointed.
StageBlock checkpointed_network(Network net, int segments) {
  const int blocks = int(net->blocks.size());
  segments = std::min(segments, blocks);
  std::vector<std::shared_ptr<CheckpointSegment>> runs;
  int first = 0;
  for (int s = 0; s < segments; ++s) {
    const int size = blocks / segments + (s < blocks % segments ? 1 : 0);
    std::vector<torch::nn::Sequential> run(net->blocks.begin() + first, net->blocks.begin() + first + size);
    torch::nn::ModuleList owner;  // the run's modules, for their buffers
    for (auto& b : run) owner->push_back(b);
    first += size;
    runs.push_back(
        std::make_shared<CheckpointSegment>(CheckpointSegment{owner.ptr(), [run](const torch::Tensor& x) mutable {
                                                                torch::Tensor h = x;
                                                                for (auto& b : run) h = b->forward(h);
                                                                return h;
                                                              }}));
  }
  return {net.ptr(), [net, runs](const torch::Tensor& input) mutable {
            torch::Tensor x = input;
            for (size_t s = 0; s + 1 < runs.size(); ++s) x = checkpointed(runs[s], x);
            x = runs.back()->forward(x);
            return net->head->forward(x);
          }};
}

}  // namespace

MethodInfo method_bp() {
  MethodAbilities abilities;
  abilities.not_pipelined =
      "it trains one stage (the whole network), so its threads have nothing to pipeline (--pipeline-ranks G runs it "
      "as GPipe over G processes)";
  abilities.gpipe = true;
  return {"bp",
          "end-to-end backpropagation (baseline)",
          {Setting::integer("checkpoint_segments", 0,
                            "activation checkpointing: recompute the network in S segments of consecutive blocks "
                            "during the backward, keeping only their inputs (0 = off; ResNets: S = --local-modules "
                            "puts them at the modules' boundaries)")
               .in(0, 1000),
           Setting::integer("accumulate", 1,
                            "gradient accumulation: each batch in N micro-batches, one optimiser step per batch")
               .in(1, 65536),
           Setting::integer("micro_batches", 4,
                            "GPipe over processes (--schedule pipeline --pipeline-ranks G): each batch in M "
                            "micro-batches, whose backward starts after the forward of all of them")
               .in(1, 1024)},
          [](Model& m, const BuildContext& ctx) {
            const int segments = ctx.settings.integer("checkpoint_segments");
            StageBlock block = segments > 1 ? checkpointed_network(m.net, segments) : stage_block(m.net);
            auto stage = ctx.add_stage(m, "network", StageKind::Network, block, std::make_shared<CrossEntropyLoss>());
            stage->set_micro_batches(ctx.settings.integer("accumulate"));
            ctx.run_sequentially(m);
          },
          nullptr,
          abilities};
}

}  // namespace dcl
