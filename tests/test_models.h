#pragma once
// Small models for in-process tests: a method on a network, built from a fixed seed.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dcl/methods/method.h"
#include "dcl/training/build_model.h"
#include "dcl/training/run_config.h"

namespace test_models {

// The smallest network a method trains: fc, the small conv network for conv-only methods, or
// ResNet-32 for those that need residual units.
inline std::string smallest_arch(const std::string& method) {
  for (const char* arch : {"fc", "simple256", "resnet32"})
    if (dcl::can_train(dcl::method_info(method), dcl::arch_info(arch))) return arch;
  return "";
}

inline dcl::RunConfig config(const std::string& method, const std::string& arch = "fc") {
  dcl::RunConfig c;
  c.method = method;
  c.arch = arch;
  c.optimizer.lr = 1e-3;
  return c;
}

inline dcl::Model model(const dcl::RunConfig& c, dcl::InputShape in = {1, 28, 28}, uint64_t seed = 11) {
  torch::manual_seed(seed);
  return dcl::build_model(c, in, 10);
}

inline dcl::Model model(const std::string& method, const std::string& arch = "fc", dcl::InputShape in = {1, 28, 28},
                        uint64_t seed = 11) {
  return model(config(method, arch), in, seed);
}

// A method name as a test or file name: "ll-pred" -> "ll_pred".
inline std::string identifier(std::string name) {
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

inline std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& v) {
  std::vector<torch::Tensor> out;
  for (const auto& t : v) out.push_back(t.detach().clone());
  return out;
}

// The loss module of a stage, as its concrete type (nullptr when it is another).
template <typename Loss>
Loss* loss_of(dcl::Model& m, const std::string& stage) {
  return dynamic_cast<Loss*>(&m.stage(stage).loss());
}

}  // namespace test_models
