// FEAT (SupCon on each block's own output) and L_contrast (SupCon through a small auxiliary head
// per block), spec section 5; losses/contrastive_loss.h. The head learns on the detached last
// block output.
#include "dcl/losses/contrastive_loss.h"
#include "dcl/methods/method.h"

namespace dcl {

// Also read by InfoPro's ll-cont and ll-contrec (infopro.cpp).
Setting supcon_temperature_setting() {
  return Setting::real("supcon_temperature", 0.07, "temperature T of the SupCon loss").positive();
}

namespace {

MethodInfo supcon(const std::string& name, const std::string& description, bool auxiliary) {
  return {name, description, {supcon_temperature_setting()}, [=](Model& m, const BuildContext& ctx) {
            double t = ctx.settings.real("supcon_temperature");
            ctx.add_block_stages(
                m, [&](size_t l) { return std::make_shared<SupConBlockLoss>(m.net->shapes[l], auxiliary, t); });
            ctx.run_sequentially(m);
          }};
}

}  // namespace

MethodInfo method_feat() {
  return supcon("feat", "L_feat: SupCon on each block's own output, no auxiliary network", false);
}

MethodInfo method_contrast() {
  return supcon("contrast", "L_contrast: SupCon through a small auxiliary head per block (InfoPro style)", true);
}

}  // namespace dcl
