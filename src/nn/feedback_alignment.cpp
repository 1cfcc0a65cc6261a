#include "dcl/nn/feedback_alignment.h"

namespace dcl {

namespace {

struct LinearFeedbackAlignment : torch::autograd::Function<LinearFeedbackAlignment> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& feedback) {
    // W itself is not needed for the backward pass: that is the point of feedback alignment.
    ctx->save_for_backward({x, feedback});
    ctx->saved_data["has_bias"] = bias.defined();
    torch::Tensor y = torch::matmul(x, weight.t());
    return bias.defined() ? y + bias : y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& feedback = saved[1];
    const torch::Tensor& g = grad[0];
    torch::Tensor grad_bias = ctx->saved_data["has_bias"].toBool() ? g.sum(0) : torch::Tensor();
    return {torch::matmul(g, feedback), torch::matmul(g.t(), x), grad_bias, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor linear_feedback_alignment(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        const torch::Tensor& feedback) {
  TORCH_CHECK(x.dim() == 2 && weight.sizes() == feedback.sizes() && x.size(1) == weight.size(1),
              "linear_feedback_alignment: x ", x.sizes(), ", weight ", weight.sizes(), ", feedback ", feedback.sizes());
  return LinearFeedbackAlignment::apply(x, weight, bias, feedback.detach());
}

}  // namespace dcl
