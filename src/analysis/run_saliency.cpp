// dcl analyze saliency: spec section 6, Figure 5.
#include <cstdio>

#include "dcl/analysis/analyses.h"
#include "dcl/analysis/analysis_output.h"
#include "dcl/analysis/features.h"
#include "dcl/analysis/saliency.h"
#include "dcl/methods/method.h"
#include "dcl/report/plots.h"
#include "dcl/training/saved_run.h"

namespace dcl::analysis {

namespace {

// Picks block `wanted` (-1: the last) among the blocks with a dictionary loss.
size_t dictionary_block(const std::vector<BlockOutput>& blocks, int wanted, const std::string& method) {
  std::vector<size_t> usable;
  if (method_info(method).abilities.label_embeddings)
    for (size_t l = 0; l < blocks.size(); ++l)
      if (dynamic_cast<DictionaryLoss*>(blocks[l].loss)) usable.push_back(l);
  if (usable.empty())
    throw std::invalid_argument("saliency needs a dictionary method (" +
                                method_names_where([](const MethodInfo& m) { return m.abilities.label_embeddings; }) +
                                "); this run's method is '" + method + "'");
  if (wanted < 0) return usable.back();
  if (std::find(usable.begin(), usable.end(), size_t(wanted)) == usable.end())
    throw std::invalid_argument("--block " + std::to_string(wanted) + ": the run's blocks are 0.." +
                                std::to_string(blocks.size() - 1));
  return size_t(wanted);
}

// Where the top-1 map puts its weight: the share of its positive mass on the object's pixels
// (those brighter than 0.1 in the displayed image) against the share of pixels the object covers.
std::pair<double, double> object_share(const torch::Tensor& map, const torch::Tensor& image) {
  torch::Tensor object = image.mean(2) > 0.1;  // [H, W]
  torch::Tensor positive = map.clamp_min(0);
  double total = positive.sum().item<double>();
  double on_object = (positive * object).sum().item<double>();
  return {total > 0 ? on_object / total : 0.0, object.to(torch::kDouble).mean().item<double>()};
}

}  // namespace

nlohmann::json analyze_saliency(const SaliencyOptions& o) {
  SavedRun run = load_saved_run(o.run.run, o.run.data_dir, o.run.threads);
  const data::ImageSet& test = run.splits.test;
  std::vector<int64_t> indices = o.indices;
  if (indices.empty()) {
    if (o.images <= 0) throw std::invalid_argument("--images must be at least 1");
    for (int64_t i = 0; i < std::min<int64_t>(o.images, test.count); ++i) indices.push_back(i);
  }
  torch::Tensor x = network_images(test, *run.info, indices);
  torch::Tensor shown = display_images(test, *run.info, indices);
  std::vector<BlockOutput> blocks = block_outputs(run.model, x.to(run.device));
  size_t l = dictionary_block(blocks, o.block, run.cfg.method);
  Saliency s = dictionary_saliency(*dynamic_cast<DictionaryLoss*>(blocks[l].loss), blocks[l].h);
  s.maps = s.maps.cpu(), s.labels = s.labels.cpu(), s.scores = s.scores.cpu(), s.probabilities = s.probabilities.cpu();
  const auto& names = run.info->class_names;
  const bool spatial = s.maps.dim() == 4;

  AnalysisOutput out(o.run.out, o.run.run);
  nlohmann::json images = nlohmann::json::array();
  plot::ImageGrid grid;
  plot::BarStrips strips;
  torch::Tensor shown_maps;
  if (spatial) shown_maps = display_maps(s.maps, test.height, test.width);
  for (size_t n = 0; n < indices.size(); ++n) {
    int64_t k = int64_t(n);
    int truth = test.labels[size_t(indices[n])];
    nlohmann::json entry = {{"index", indices[n]}, {"label", names[size_t(truth)]}};
    nlohmann::json top = nlohmann::json::array();
    for (int64_t rank = 0; rank < 2; ++rank) {
      int64_t z = s.labels[k][rank].item<int64_t>();
      nlohmann::json t = {{"label", names[size_t(z)]},
                          {"score", s.scores[k][rank].item<double>()},
                          {"probability", s.probabilities[k][rank].item<double>()}};
      if (spatial) {
        torch::Tensor m = s.maps[k][rank];
        int64_t peak = m.argmax().item<int64_t>();
        // The peak in input pixels: the centre of the map cell it falls in.
        double scale_i = double(test.height) / double(m.size(0)), scale_j = double(test.width) / double(m.size(1));
        t["peak_row"] = (double(peak / m.size(1)) + 0.5) * scale_i;
        t["peak_col"] = (double(peak % m.size(1)) + 0.5) * scale_j;
        if (rank == 0) {
          auto [share, area] = object_share(shown_maps[k][0], shown[k]);
          t["object_share"] = share;
          t["object_area"] = area;
        }
      }
      top.push_back(t);
    }
    entry["top"] = top;
    images.push_back(entry);

    char caption[160];
    if (spatial) {
      std::vector<float> rgb(shown[k].data_ptr<float>(), shown[k].data_ptr<float>() + shown[k].numel());
      grid.panels.push_back(
          {test.height, test.width, rgb, {}, "#" + std::to_string(indices[n]) + " " + names[size_t(truth)]});
      for (int64_t rank = 0; rank < 2; ++rank) {
        torch::Tensor m = shown_maps[k][rank].contiguous();
        std::snprintf(caption, sizeof caption, "top-%d %s p=%.2f", int(rank + 1),
                      names[size_t(s.labels[k][rank].item<int64_t>())].c_str(),
                      s.probabilities[k][rank].item<double>());
        grid.panels.push_back({test.height, test.width, rgb,
                               std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + m.numel()), caption});
      }
    } else {
      for (int64_t rank = 0; rank < 2; ++rank) {
        torch::Tensor m = s.maps[k][rank].to(torch::kDouble).contiguous();
        std::snprintf(caption, sizeof caption, "#%lld %s: top-%d %s p=%.2f", (long long)indices[n],
                      names[size_t(truth)].c_str(), int(rank + 1),
                      names[size_t(s.labels[k][rank].item<int64_t>())].c_str(),
                      s.probabilities[k][rank].item<double>());
        strips.row_names.push_back(caption);
        strips.values.emplace_back(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
      }
    }
  }
  std::string title = run.cfg.method + " " + run.cfg.arch + " on " + run.cfg.data + ", " + blocks[l].name;
  std::string caption = "Saliency of " + blocks[l].name + " (" + run.cfg.method + ", " + run.cfg.arch + "): " +
                        (spatial ? "<h_k, pool(t_z)> over positions k for the top-1 and top-2 labels, upsampled"
                                 : "<h_k, pool(t_z)> over patches k for the top-1 and top-2 labels");
  if (spatial) {
    grid.title = "Saliency <h_k, pool(t_z)>: " + title;
    grid.overlay_label = "saliency (scaled per map)";
    grid.columns = 3;
    plot::write_image_grid_png(out.path("saliency.png"), grid);
  } else {
    strips.title = "Saliency <h_k, pool(t_z)> per patch: " + title;
    strips.x_label = "patch k";
    strips.y_label = "score share";
    plot::write_bar_strips_png(out.path("saliency.png"), strips);
  }
  out.write_tensors(
      "saliency.pt",
      {{"maps", s.maps}, {"labels", s.labels}, {"scores", s.scores}, {"indices", torch::tensor(indices)}});
  nlohmann::json result = {{"caption", caption},      {"run", o.run.run},
                           {"block", blocks[l].name}, {"block_index", l},
                           {"spatial", spatial},      {"map_shape", s.maps.sizes().vec()},
                           {"images", images},        {"files", {"saliency.png", "saliency.pt"}}};
  if (spatial) {
    double share = 0, area = 0;
    for (const auto& e : images)
      share += e["top"][0]["object_share"].get<double>(), area += e["top"][0]["object_area"].get<double>();
    result["mean_object_share"] = share / double(images.size());
    result["mean_object_area"] = area / double(images.size());
  }
  out.write_json("saliency.json", result);
  return result;
}

}  // namespace dcl::analysis
