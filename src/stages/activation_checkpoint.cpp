#include "dcl/stages/activation_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

namespace dcl {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The segment travels to the backward through saved_data as an address: the function is applied
// and backpropagated within one step, while the caller's shared_ptr keeps the segment alive.
struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor anchor,
                               std::shared_ptr<CheckpointSegment> segment) {
    (void)anchor;
    ctx->saved_data["segment"] = int64_t(reinterpret_cast<intptr_t>(segment.get()));
    ctx->saved_data["rng"] = at::detail::getDefaultCPUGenerator().get_state();
    ctx->saved_data["x_requires_grad"] = x.requires_grad();
    ctx->save_for_backward({x});
    return segment->forward(x);  // Function::apply runs this without recording a graph
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    auto* segment = reinterpret_cast<CheckpointSegment*>(intptr_t(ctx->saved_data["segment"].toInt()));
    torch::Tensor x = ctx->get_saved_variables()[0].detach();
    x.requires_grad_(ctx->saved_data["x_requires_grad"].toBool());
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    torch::Tensor rng_now = cpu.get_state();
    std::vector<torch::Tensor> buffers;
    for (auto& b : segment->module->buffers()) buffers.push_back(b.clone());
    cpu.set_state(ctx->saved_data["rng"].toTensor());
    torch::Tensor y;
    {
      torch::AutoGradMode grad(true);
      y = segment->forward(x);
    }
    cpu.set_state(rng_now);
    // Accumulates the segment's parameter gradients (and x's) as a plain backward would.
    torch::autograd::backward({y}, {grad_output[0]});
    // After the backward: BatchNorm's graph holds its running statistics and checks their version.
    {
      torch::NoGradGuard no_grad;
      size_t i = 0;
      for (auto& b : segment->module->buffers()) b.copy_(buffers[i++]);
    }
    return {x.requires_grad() ? x.grad() : torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(const std::shared_ptr<CheckpointSegment>& segment, const torch::Tensor& x) {
  // The anchor requires a gradient so that the output does even when x does not (the first
  // segment's input is the image): otherwise autograd would never call the backward.
  static thread_local torch::Tensor anchor = torch::zeros({}, torch::requires_grad());
  return CheckpointFunction::apply(x, anchor, segment);
}

}  // namespace dcl
