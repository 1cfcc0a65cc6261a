// InfoPro's contrastive auxiliary networks (spec section 5): ll-cont, and ll-contrec with the
// image decoder (losses/infopro_loss.h). The head learns on the detached last block output.
#include "dcl/losses/infopro_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

namespace {

MethodInfo infopro(const std::string& name, const std::string& description, bool reconstruct) {
  std::vector<std::string> settings = {"supcon_temperature"};
  if (reconstruct) settings.push_back("ll_recon_weight");
  return {name, description, settings, [=](Model& m, const BuildContext& ctx) {
            InfoProOptions o;
            o.temperature = ctx.settings.supcon.temperature;
            o.reconstruct = reconstruct;
            o.recon_weight = ctx.settings.local_learning.recon_weight;
            o.image_channels = m.net->options.input.channels;
            ctx.add_block_stages(m, [&](size_t l) { return std::make_shared<InfoProLoss>(o, m.net->output_sizes[l]); });
            ctx.run_sequentially(m);
          }};
}

}  // namespace

MethodInfo method_ll_cont() {
  return infopro("ll-cont", "local learning: supervised contrastive loss through an auxiliary network (InfoPro)",
                 false);
}

MethodInfo method_ll_contrec() {
  return infopro("ll-contrec", "local learning: ll-cont plus reconstruction of the input image (InfoPro)", true);
}

}  // namespace dcl
