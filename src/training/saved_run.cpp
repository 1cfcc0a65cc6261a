#include "dcl/training/saved_run.h"

#include "dcl/runtime/device.h"
#include "dcl/training/build_model.h"
#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"

namespace dcl {

SavedRun load_saved_run(const std::string& dir, const std::string& data_dir, int threads) {
  SavedRun r;
  r.dir = dir;
  r.cfg = read_run_config(dir + "/config.json");
  if (!data_dir.empty()) r.cfg.data_dir = data_dir;
  validate(r.cfg);
  configure_threads(threads);
  r.device = parse_device(r.cfg.device);
  r.info = &data::dataset_info(r.cfg.data, data_options(r.cfg));
  r.splits = data::load_dataset(r.cfg.data, data_options(r.cfg));
  r.model = build_model(r.cfg, r.input(), r.info->classes, r.info->fc_patches, r.info->fc_width);
  r.model.to(r.device);
  r.model.set_amp(r.cfg.amp, r.device.type());
  r.progress = load_checkpoint(dir + "/checkpoint.pt", r.model, checkpoint_identity(r.cfg));
  r.model.train(false);
  return r;
}

}  // namespace dcl
