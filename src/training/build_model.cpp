#include "dcl/training/build_model.h"

#include "dcl/methods/method.h"

namespace dcl {

Model build_model(const RunConfig& cfg, const InputShape& input, int classes, int default_fc_patches,
                  int default_fc_width) {
  const MethodInfo& method = method_info(cfg.method);
  require_network(method, arch_info(cfg.arch));
  NetworkOptions n;
  n.arch = cfg.arch;
  n.input = input;
  n.classes = classes;
  n.dropout = cfg.dropout;
  n.fc_width = cfg.fc_width > 0 ? cfg.fc_width : default_fc_width;
  n.fc_patches = cfg.fc_patches > 0 ? cfg.fc_patches : default_fc_patches;
  n.fc_head_relu = cfg.fc_head_relu;
  n.local_modules = cfg.local_modules;
  n.activation = cfg.activation;
  Model m;
  m.net = Network(n);
  BuildContext ctx{m.net, classes, cfg.methods, optimizer_factory(cfg.optimizer)};
  method.build(m, ctx);
  return m;
}

}  // namespace dcl
