// dcl analyze embeddings: spec section 6, Figure 6.
#include <numeric>

#include "dcl/analysis/analyses.h"
#include "dcl/analysis/analysis_output.h"
#include "dcl/analysis/features.h"
#include "dcl/report/label_structure.h"
#include "dcl/report/plots.h"
#include "dcl/training/saved_run.h"

namespace dcl::analysis {

nlohmann::json analyze_embeddings(const EmbeddingsOptions& o) {
  SavedRun run = load_saved_run(o.run.run, o.run.data_dir, o.run.threads);
  int z = 0;
  std::vector<double> sim = embedding_similarity(run.model, run.cfg.method, o.embedding_block, &z);
  const data::DatasetInfo& info = *run.info;
  const auto& names = info.class_names;

  nlohmann::json neighbours = nlohmann::json::object();
  auto nn = nearest_neighbours(sim, z, o.neighbours);
  for (int i = 0; i < z; ++i) {
    nlohmann::json list = nlohmann::json::array();
    for (int j : nn[size_t(i)]) list.push_back({{"label", names[size_t(j)]}, {"similarity", sim[size_t(i * z + j)]}});
    neighbours[names[size_t(i)]] = list;
  }
  Clustering clustering = average_linkage(sim, z);

  // The heat map in group order (CIFAR-100's superclasses) where the dataset has groups, else in
  // the dendrogram's order.
  std::vector<int> order = clustering.order;
  std::vector<int> breaks;
  const bool grouped = !info.group_names.empty();
  if (grouped) {
    order.resize(size_t(z));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return info.class_group[size_t(a)] < info.class_group[size_t(b)]; });
    for (int k = 0; k + 1 < z; ++k)
      if (info.class_group[size_t(order[size_t(k)])] != info.class_group[size_t(order[size_t(k + 1)])])
        breaks.push_back(k);
  }
  plot::Heatmap h;
  std::string what = run.cfg.method + " " + run.cfg.arch + " on " + run.cfg.data;
  if (o.embedding_block >= 0) what += ", block " + std::to_string(o.embedding_block) + "'s view map_l(t)";
  h.title = "Cosine similarity of the label embeddings: " + what;
  h.x_label = h.y_label = grouped ? "label (by group)" : "label (dendrogram order)";
  h.value_label = "cos(t_i, t_j)";
  h.vmin = -1, h.vmax = 1;
  h.annotate = z <= 12;
  h.group_breaks = breaks;
  for (int i : order) {
    h.row_names.push_back(names[size_t(i)]);
    for (int j : order) h.values.push_back(sim[size_t(i * z + j)]);
  }
  h.col_names = h.row_names;
  AnalysisOutput out(o.run.out, o.run.run);
  plot::write_heatmap_png(out.path("embeddings_similarity.png"), h);
  plot::Dendrogram d;
  d.title = "Average-linkage clustering of the label embeddings: " + what;
  d.y_label = "distance 1 - cos";
  d.leaf_names = names;
  for (const Merge& m : clustering.merges) d.merges.push_back({m.a, m.b, m.height});
  plot::write_dendrogram_png(out.path("embeddings_dendrogram.png"), d);

  nlohmann::json result = {{"caption", "Cosine similarity of " + what + "'s label embeddings, " +
                                           (grouped ? "ordered by the dataset's class groups" : "in dendrogram order")},
                           {"run", o.run.run},
                           {"classes", names},
                           {"similarity", sim},
                           {"order", order},
                           {"nearest_neighbours", neighbours}};
  if (grouped) {
    NeighbourShare share = same_group_neighbour_share(sim, info.class_group);
    result["groups"] = info.group_names;
    result["class_group"] = info.class_group;
    result["same_group_neighbour_share"] = {
        {"observed", share.observed}, {"chance", share.chance}, {"labels", share.labels}};
  }
  out.write_json("embeddings_similarity.json", result);
  nlohmann::json merges = nlohmann::json::array();
  for (const Merge& m : clustering.merges) merges.push_back({m.a, m.b, m.height, m.size});
  out.write_json("embeddings_dendrogram.json", {{"caption", "Average-linkage (UPGMA) clustering of " + what +
                                                                "'s label embeddings on 1 - cosine similarity"},
                                                {"merges", merges},
                                                {"order", clustering.order}});
  return result;
}

}  // namespace dcl::analysis
