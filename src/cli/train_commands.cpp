// `dcl train` and `dcl eval`.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <thread>

#include <torch/cuda.h>

#include "commands.h"
#include "dcl/data/registry.h"
#include "dcl/methods/method.h"
#include "dcl/runtime/distributed.h"
#include "dcl/runtime/launcher.h"
#include "dcl/training/run_config.h"
#include "dcl/training/run_files.h"
#include "dcl/training/trainer.h"

namespace dcl::cli {

namespace {

struct TrainFlags {
  RunConfig cfg;
  std::string resume;
  OptionFields fields;
};

// The saved run's settings, with the flags given now that may change on --resume: --epochs
// upwards, --threads, --loader-threads, --dist-timeout, --data-dir, --tensorboard (and the testing
// flag --stop-after-steps). Any other flag whose
// value differs from the run's is refused, by name, rather than silently ignored.
RunConfig resumed_config(RunConfig saved, const RunConfig& given_cfg, const std::vector<std::string>& given,
                         const std::string& dir) {
  nlohmann::json before = saved.to_json(), now = given_cfg.to_json();
  std::vector<std::string> changed;
  for (const auto& name : given) {
    if (name == "epochs") {
      if (given_cfg.epochs < saved.epochs)
        throw std::invalid_argument("--resume " + dir + ": --epochs may only grow (the run is set to " +
                                    std::to_string(saved.epochs) + " epochs)");
      saved.epochs = given_cfg.epochs;
    } else if (name == "threads") {
      saved.threads = given_cfg.threads;
    } else if (name == "loader_threads") {
      saved.loader_threads = given_cfg.loader_threads;
    } else if (name == "tensorboard") {
      saved.tensorboard = given_cfg.tensorboard;
    } else if (name == "dist_timeout") {
      saved.dist_timeout = given_cfg.dist_timeout;
    } else if (name == "data_dir") {
      saved.data_dir = given_cfg.data_dir;
    } else if (name == "stop_after_steps") {
      saved.stop_after_steps = given_cfg.stop_after_steps;
    } else if (name == "out") {
      if (given_cfg.out != dir) changed.push_back("--out " + given_cfg.out + " (the run is in " + dir + ")");
    } else if (before.contains(name) && before[name] != now[name]) {
      changed.push_back(flag_of(name) + " " + now[name].dump() + " (the run has " + before[name].dump() + ")");
    }
  }
  if (!changed.empty()) {
    std::string list;
    for (const auto& c : changed) list += (list.empty() ? "" : ", ") + c;
    throw std::invalid_argument("--resume " + dir +
                                " continues the run as it was configured; these flags would change it: " + list +
                                ". Only --epochs (upwards), --threads, --loader-threads, --dist-timeout, --data-dir "
                                "and --tensorboard may change; start a new run "
                                "with --out for other settings");
  }
  saved.out = dir;
  return saved;
}

// Workers started on this machine share it: each needs a core of its own (CPU) or a GPU of its
// own (CUDA). Checked before any is started; more processes are a job across machines (torchrun).
void check_local_nproc(const RunConfig& cfg) {
  const bool cuda = cfg.device.rfind("cuda", 0) == 0;
  const int have = cuda ? int(torch::cuda::device_count()) : int(std::thread::hardware_concurrency());
  if (have > 0 && cfg.nproc > have)
    throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) + ": this machine has " + std::to_string(have) +
                                (cuda ? " GPU(s)" : " core(s)") +
                                " and each worker needs one of its own; for more "
                                "processes, start dcl train on several machines under torchrun");
}

}  // namespace

std::vector<std::string> explicit_fields(const OptionFields& fields) {
  std::vector<std::string> names;
  for (const auto& [opt, name] : fields)
    if (opt->count() > 0) names.push_back(name);
  return names;
}

void add_run_options(CLI::App* cmd, RunConfig& c, OptionFields& fields) {
  auto add = [&](auto& field, auto... rest) { add_field(cmd, fields, field, rest...); };
  add(c.data, "--data", "data",
      "Dataset: " + join_names(data::dataset_names()) +
          ", folder:PATH (PATH/train/<class>/*.jpg|png and PATH/val/ or PATH/test/) or list:TRAIN,TEST (list files "
          "of 'relative/path label' lines)");
  add(c.data_dir, "--data-dir,--data-root", "data_dir",
      "Directory with the dataset's files (default: its standard location); for list: datasets, the folder the "
      "listed paths are relative to (default: the train list's folder)");
  add(c.image_size, "--image-size", "image_size",
      "Folder datasets: the input side S in pixels (0 = the images' own, when they all share one square size). "
      "S <= 64: each image's centred square resized to S, then the built-in datasets' pad-and-crop; S > 64: "
      "torchvision's RandomResizedCrop(S) + flip for training, short side to S/0.875 + CenterCrop(S) for testing");
  add(c.augment, "--augment", "augment",
      "Training augmentation: auto (the dataset's recipe) | none | flip | crop-flip (pad-and-crop, or "
      "RandomResizedCrop above 64 px, and flip)");
  add(c.image_loading, "--image-loading", "image_loading",
      "Folder datasets: cache (decode once into a memory-mapped cache file under $DCL_CACHE_DIR or ~/.cache/dcl, "
      "rebuilt when the folder changes) | stream (decode every epoch on --loader-threads) | auto (cache up to "
      "4 GiB decoded)");
  add(c.skip_bad_images, "--skip-bad-images", "skip_bad_images",
      "Folder datasets: skip damaged or unreadable image files (counted in the summary) instead of stopping");
  add(c.mean, "--mean", "mean",
      "Per-channel mean on pixel/255 for normalisation, one value per channel (default: the dataset's; folder "
      "datasets: computed from a fixed sample of training images); give --std too");
  add(c.std, "--std", "std", "Per-channel standard deviation for normalisation (with --mean)");
  add(c.loader_threads, "--loader-threads", "loader_threads",
      "Threads that decode and augment each batch (the batches are the same for any number)");
  add(c.preset, "--preset", "preset",
      "none | quick (a few epochs) | paper (the method's published schedule for this arch and data; spec section 4)");
  add(c.epochs, "--epochs", "epochs", "Epochs");
  add(c.batch_size, "--batch-size", "batch_size",
      "Batch size (training: a last batch that would hold one image is merged into the one before, so every image "
      "is seen and BatchNorm never normalises a single sample)");
  add(c.lr_schedule, "--lr-schedule", "lr_schedule",
      "step (MultiStep: times --gamma after each of --milestones) | cooldown (constant for the first half of "
      "--epochs, then linearly down: Hinton's FF) | cosine (InfoPro's: a 10-epoch linear warm-up from 0.01 or --lr if "
      "smaller, then half a cosine from --lr towards 0)");
  add(c.gamma, "--gamma", "gamma", "MultiStep learning-rate decay factor");
  add(c.milestones, "--milestones", "milestones", "Epochs after which the learning rate is multiplied by gamma");
  add(c.limit_train, "--limit-train", "limit_train", "Use only the first N training images (0 = all)");
  add(c.limit_test, "--limit-test", "limit_test", "Use only the first N test images (0 = all)");
  add(c.stop_after_steps, "--stop-after-steps", "stop_after_steps",
      "Stop as if interrupted after N optimiser steps (checkpoint, then exit; for testing resume)");
}

void add_schedule_options(CLI::App* cmd, RunConfig& c, OptionFields& fields) {
  auto add = [&](auto& field, auto... rest) { add_field(cmd, fields, field, rest...); };
  add(c.schedule, "--schedule", "schedule",
      "How the stages of a local method run: sequential (one after another) | pipeline (concurrently, one thread "
      "per group of stages, joined by bounded queues: stage l trains on batch t while stage l+1 trains on batch "
      "t-1; DCL's shared dictionary is updated under a lock; evaluation waits for every batch in flight)");
  add(c.pipeline_groups, "--pipeline-groups", "pipeline_groups",
      "pipeline: threads, each running a contiguous run of stages (0 = one per stage); the intra-op threads "
      "(--threads) are divided among them");
  add(c.pipeline_depth, "--pipeline-depth", "pipeline_depth", "pipeline: batches that may wait between two threads");
  add(c.pipeline_sync, "--pipeline-sync", "pipeline_sync",
      "pipeline: admit a batch only when the previous one has left the last stage (the sequential result, bit for "
      "bit; for checking)");
  add(c.pipeline_ranks, "--pipeline-ranks", "pipeline_ranks",
      "pipeline: processes, each training a contiguous run of stages (split by the first batch's measured stage "
      "times) and sending its detached activations, images and labels to the next with c10d point-to-point messages "
      "(Gloo; NCCL between GPUs, one per process: cuda:LOCAL_RANK). Neighbours run --pipeline-depth batches apart; "
      "DCL's dictionary travels with each batch and returns to rank 0 (README: the process pipeline). Starts that "
      "many workers itself, or runs under torchrun with WORLD_SIZE equal to it (1 = the pipeline's groups are "
      "threads of one process)");
  add(c.nproc, "--nproc", "nproc",
      "Data-parallel worker processes on this machine (c10d, Gloo): each trains on its part of every batch of "
      "N x --batch-size images, stage gradients are summed as soon as each stage's backward ends, rank 0 writes the "
      "run directory. Jobs across machines: start dcl train under torchrun (or set RANK, WORLD_SIZE, LOCAL_RANK, "
      "MASTER_ADDR, MASTER_PORT and optionally GLOO_SOCKET_IFNAME yourself) instead");
  add(c.dist_timeout, "--dist-timeout", "dist_timeout",
      "Data-parallel: seconds a collective waits for a peer before the job ends with an error naming the silent "
      "rank");
}

void add_model_options(CLI::App* cmd, RunConfig& c, OptionFields& fields) {
  auto add = [&](auto& field, auto... rest) { add_field(cmd, fields, field, rest...); };
  std::string archs;
  for (const ArchInfo& a : architectures())
    archs += "\n  " + a.name + ": " + a.description + " (inputs: " + a.inputs + ")";
  add(c.arch, "--arch", "arch", "Network:" + archs);
  fields.back().first->type_name("NAME")->check(CLI::Validator(
      [](std::string& name) {
        try {
          arch_info(name);
          return std::string();
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
      },
      ""));
  add(c.optimizer.kind, "--optimizer", "optimizer", "Optimiser: adamw | adam | sgd");
  add(c.optimizer.lr, "--lr", "lr", "Learning rate");
  add(c.optimizer.weight_decay, "--weight-decay", "weight_decay", "Weight decay");
  add(c.optimizer.momentum, "--momentum", "momentum", "SGD momentum");
  add(c.optimizer.nesterov, "--nesterov", "nesterov", "SGD with Nesterov's momentum");
  add(c.dropout, "--dropout", "dropout", "Dropout probability in every block");
  add(c.local_modules, "--local-modules", "local_modules",
      "ResNets: split the network into K local modules at residual-block boundaries (InfoPro's split points "
      "where it defines K, else AugLocal's; 0 = 4)");
  add(c.fc_width, "--fc-width", "fc_width", "fc network width W (0 = spec default: 1024 for 28x28, 3072 for colour)");
  add(c.fc_patches, "--fc-patches", "fc_patches", "fc patch count P for the dictionary loss (0 = the dataset's)");
  add(c.activation, "--activation", "activation",
      "The blocks' non-linearity: relu | tanh (fc only; as DRTP's authors train, DRTP's fc presets use it) | "
      "leaky_relu (slope 0.01; fc, simple*, vgg8b; as the LL authors' sim and predsim runs, their presets use it)");
  add(c.fc_head_relu, "--fc-head-relu", "fc_head_relu",
      "fc: a ReLU after the classifier, as the authors' code has it (logits never negative)");
  add(c.seed, "--seed", "seed", "Random seed (weights, data order, augmentation, dropout)");
  add(c.threads, "--threads", "threads", "Intra-op threads (0 = all cores)");
  add(c.device, "--device", "device", "cpu | cuda | cuda:N");
  add(c.amp, "--amp", "amp",
      "Mixed precision: none | bf16 (blocks under autocast in bfloat16, losses in float32; conv blocks keep their "
      "conv output in bfloat16 and convolve in it on CUDA and CPUs with AVX-512 BF16 or AMX, in float32 elsewhere)");
  add(c.cudnn_benchmark, "--cudnn-benchmark", "cudnn_benchmark",
      "CUDA: let cuDNN time its convolution algorithms once per shape and keep the fastest (not bit-reproducible)");
  add(c.memory_budget, "--memory-budget", "memory_budget",
      "Local methods with conv blocks: keep peak training memory (tensors) under SIZE (e.g. 300MiB, 1.5GiB) by "
      "choosing per block the batch chunk and whether the conv output is recomputed instead of kept (slower); "
      "an error says when SIZE cannot be met. Not given: the fastest plan");
  fields.back().first->check(CLI::Validator(
      [](std::string& text) { return text.empty() ? std::string("needs a size (e.g. 300MiB)") : std::string(); }, ""));
  add_method_options(cmd, c.methods, fields);
}

void add_method_options(CLI::App* cmd, SettingValues& values, OptionFields& fields) {
  for (const Setting& setting : all_settings()) {
    std::string help = methods_reading(setting.key) + ": " + setting.help;
    if (setting.type == SettingType::Choice) help += " (" + join_names(setting.choices) + ")";
    auto parse = [&values, &setting](const std::string& text) {
      try {
        values.set(setting.key, setting.parse(text));
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError(e.what());
      }
    };
    std::string shown =
        setting.default_value.is_string() ? setting.default_value.get<std::string>() : setting.default_value.dump();
    CLI::Option* option = nullptr;
    if (setting.type == SettingType::Switch) {
      // On when given alone, off with --flag=false; `parse` sees each given text first. CLI11 also
      // converts it into a bool of its own, which nothing reads.
      static std::deque<bool> unused;
      unused.push_back(false);
      option = cmd->add_flag(setting.flag(), unused.back(), help)->each(parse);
    } else {
      option = cmd->add_option_function<std::string>(setting.flag(), parse, help);
      option->type_name(setting.type == SettingType::Choice    ? "NAME"
                        : setting.type == SettingType::Integer ? "INT"
                                                               : "FLOAT");
    }
    option->default_str(shown);
    fields.emplace_back(option, setting.key);
  }
}

void add_train_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  // Fresh flags for every parse: the Python package runs several commands in one process.
  auto f = std::make_shared<TrainFlags>();
  RunConfig& c = f->cfg;
  auto* train = app.add_subcommand("train", "Train a network with a method on a dataset; results go to --out DIR");
  auto add = [&](auto& field, auto... rest) { add_field(train, f->fields, field, rest...); };
  add(c.method, "--method", "method", "Method: " + join_names(method_names()));
  add(c.ensemble_weights, "--ensemble-weights", "ensemble_weights",
      "Weights of the per-block layer-wise predictions in the ensemble (default: equal)");
  add(c.out, "--out", "out", "Run directory (config.json, metrics.jsonl, summary.json, checkpoint.pt)");
  add_run_options(train, c, f->fields);
  add_model_options(train, c, f->fields);
  add_schedule_options(train, c, f->fields);
  train->add_option(
      "--resume", f->resume,
      "Continue the run saved in DIR with its own config.json; only --epochs (upwards), --threads, --loader-threads, "
      "--dist-timeout, --data-dir and --tensorboard may be given with it, any other changed flag is refused");
  add(c.tensorboard, "--tensorboard", "tensorboard",
      "Also write TensorBoard event files into DIR (per step: loss, each block's loss, lr; per epoch: test "
      "accuracies of the head, each block and the ensemble, test loss, images/s, peak memory); kept in config.json, "
      "so --resume goes on writing there (or into a new DIR given with it); view with: tensorboard --logdir DIR");
  actions.emplace_back(train, [f] {
    warn_if_reference_blas();
    install_stop_handlers();
    std::vector<std::string> given = explicit_fields(f->fields);
    bool resume = !f->resume.empty();
    RunConfig cfg = f->cfg;
    if (resume) {
      if (!std::ifstream(f->resume + "/config.json"))
        throw std::invalid_argument("--resume " + f->resume + ": no config.json there");
      cfg = resumed_config(read_run_config(f->resume + "/config.json"), cfg, given, f->resume);
    } else {
      if (cfg.out.empty())
        cfg.out = "runs/" + cfg.data + "-" + cfg.arch + "-" + cfg.method + "-seed" + std::to_string(cfg.seed);
      require_settings_read({cfg.method}, given);
      apply_preset(cfg, given);
      require_given_settings_apply(cfg, given);
      if (cfg.preset != Preset::None)
        std::fprintf(stderr, "preset %s: %s\n", name_of(cfg.preset).c_str(),
                     method_preset(method_info(cfg.method), cfg.preset, cfg.arch,
                                   data::dataset_info(cfg.data, data_options(cfg)))
                         .source.c_str());
    }
    bool nproc_given = std::find(given.begin(), given.end(), "nproc") != given.end();
    // A process pipeline started from a plain command line: one worker per group of stages.
    if (cfg.pipeline_ranks > 1 && !nproc_given && distributed_env_from_environment().world_size == 1)
      cfg.nproc = cfg.pipeline_ranks;
    // --nproc N from a plain command line: this process becomes the launcher of N workers, which
    // run this same command line as the ranks of one job.
    if (cfg.nproc > 1 && distributed_env_from_environment().world_size == 1) {
      // One error here rather than one per worker: the workers start only when they would pass.
      Trainer::preflight(cfg, resume);
      check_local_nproc(cfg);
      return launch_local_workers(cfg.nproc, own_command_line());
    }
    Trainer trainer(cfg, resume, nproc_given);
    nlohmann::json summary = trainer.run();
    if (summary.is_null()) return 130;  // interrupted, checkpoint written
    if (summary.contains("test_error")) std::printf("test error: %.2f%%\n", summary.value("test_error", 0.0));
    return 0;
  });

  struct EvalFlags {
    std::string run_dir, data_dir;
    int threads = 0;
  };
  auto e = std::make_shared<EvalFlags>();
  auto* eval = app.add_subcommand("eval", "Evaluate a saved run directory on the test split");
  eval->add_option("--run", e->run_dir, "Run directory written by dcl train")->required();
  eval->add_option("--data-dir", e->data_dir, "Override the dataset directory");
  eval->add_option("--threads", e->threads, "Intra-op threads (0 = all cores)")
      ->check(integer_in(0, 1024, "0 = all cores"));
  actions.emplace_back(eval, [e] {
    nlohmann::json r = evaluate_run(e->run_dir, e->data_dir, e->threads);
    std::printf("%s\n", r.dump(2).c_str());
    return 0;
  });
}

}  // namespace dcl::cli
