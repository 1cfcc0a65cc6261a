// dcl analyze confusion: spec section 6, Figure 7.
#include <cmath>
#include <cstdio>

#include "dcl/analysis/analyses.h"
#include "dcl/analysis/analysis_output.h"
#include "dcl/analysis/features.h"
#include "dcl/methods/method.h"
#include "dcl/report/confusion.h"
#include "dcl/report/plots.h"
#include "dcl/training/saved_run.h"

namespace dcl::analysis {

nlohmann::json analyze_confusion(const ConfusionOptions& o) {
  SavedRun run = load_saved_run(o.run.run, o.run.data_dir, o.run.threads);
  const auto& names = run.info->class_names;
  const int z = run.info->classes;
  // By default the test images the run itself was evaluated on (its --limit-test).
  Predictions p = predict_set(run.model, run.splits.test, *run.info, run.device, o.block,
                              o.limit > 0 ? o.limit : run.cfg.limit_test);
  std::vector<int64_t> counts = confusion_counts(p.truth, p.predicted, z);
  std::string what = run.cfg.method + " " + run.cfg.arch + " on " + run.cfg.data;
  std::string predictor =
      o.block < 0 ? "the run's prediction" : "block " + std::to_string(o.block) + "'s dictionary prediction";

  // Rows normalised: the share of each true label's samples given each prediction.
  std::vector<int64_t> per_label(size_t(z), 0);
  for (int t = 0; t < z; ++t)
    for (int q = 0; q < z; ++q) per_label[size_t(t)] += counts[size_t(t * z + q)];
  plot::Heatmap h;
  h.title = "Confusion matrix: " + what + " (" + predictor + ")";
  h.x_label = "predicted label";
  h.y_label = "true label";
  h.value_label = "share of the true label's test images";
  h.row_names = h.col_names = names;
  h.vmin = 0, h.vmax = 1;
  h.annotate = z <= 12;
  std::string csv = "true\\predicted";
  for (const auto& n : names) csv += "," + n;
  csv += "\n";
  int64_t correct = 0;
  for (int t = 0; t < z; ++t) {
    csv += names[size_t(t)];
    for (int q = 0; q < z; ++q) {
      int64_t c = counts[size_t(t * z + q)];
      h.values.push_back(per_label[size_t(t)] ? double(c) / double(per_label[size_t(t)]) : 0.0);
      csv += "," + std::to_string(c);
      if (t == q) correct += c;
    }
    csv += "\n";
  }
  AnalysisOutput out(o.run.out, o.run.run);
  plot::write_heatmap_png(out.path("confusion.png"), h);
  out.write_text("confusion.csv", csv);
  double accuracy = p.truth.empty() ? 0.0 : double(correct) / double(p.truth.size());
  nlohmann::json result = {{"caption", "Confusion matrix of " + what + " on " + std::to_string(p.truth.size()) +
                                           " test images (" + predictor + "), rows normalised"},
                           {"run", o.run.run},
                           {"classes", names},
                           {"counts", counts},
                           {"samples", p.truth.size()},
                           {"accuracy", accuracy}};
  out.write_json("confusion.json", result);

  // Figure 7 needs label embeddings: dictionary methods only.
  if (!method_info(run.cfg.method).abilities.label_embeddings) {
    result["similarity"] = "not computed: the method '" + run.cfg.method + "' has no label embeddings";
    std::fprintf(stderr, "confusion vs similarity: skipped (%s has no label embeddings)\n", run.cfg.method.c_str());
    return result;
  }
  int classes = 0;
  std::vector<double> sim = embedding_similarity(run.model, run.cfg.method, o.embedding_block, &classes);
  std::vector<PairConfusion> pairs = pair_confusion(counts, sim, z);
  if (pairs.empty()) {
    result["similarity"] = "not computed: no pair of labels has test images among the " +
                           std::to_string(p.truth.size()) + " evaluated (a larger --limit gives some)";
    std::fprintf(stderr, "confusion vs similarity: skipped (no pair of labels has test images; raise --limit)\n");
    return result;
  }
  std::vector<double> xs, ys;
  nlohmann::json rows = nlohmann::json::array();
  std::string pair_csv = "label_a,label_b,similarity,confusion_rate\n";
  for (const PairConfusion& pc : pairs) {
    xs.push_back(pc.similarity);
    ys.push_back(pc.rate);
    rows.push_back(
        {{"a", names[size_t(pc.i)]}, {"b", names[size_t(pc.j)]}, {"similarity", pc.similarity}, {"rate", pc.rate}});
    pair_csv += names[size_t(pc.i)] + "," + names[size_t(pc.j)] + "," + std::to_string(pc.similarity) + "," +
                std::to_string(pc.rate) + "\n";
  }
  double rho = spearman(xs, ys);
  char note[96];
  std::snprintf(note, sizeof note, "Spearman rho = %.3f, %zu pairs", rho, pairs.size());
  plot::ScatterPlot sc;
  sc.title = "Confusion vs embedding similarity: " + what;
  sc.x_label = o.embedding_block < 0
                   ? "cosine similarity of the two labels' embeddings"
                   : "cosine similarity of block " + std::to_string(o.embedding_block) + "'s view of the embeddings";
  sc.y_label = "confusion rate (either way, share of the pair's images)";
  sc.note = note;
  sc.x = xs;
  sc.y = ys;
  plot::write_scatter_png(out.path("confusion_vs_similarity.png"), sc);
  out.write_text("confusion_vs_similarity.csv", pair_csv);
  nlohmann::json scatter = {
      {"caption", "Pairwise confusion rate against the similarity of the labels' embeddings (" + what + "): " + note},
      {"spearman", std::isnan(rho) ? nlohmann::json(nullptr) : nlohmann::json(rho)},
      {"pairs", pairs.size()},
      {"rate_definition", "(count[i][j] + count[j][i]) / (n_i + n_j)"},
      {"points", rows}};
  out.write_json("confusion_vs_similarity.json", scatter);
  result["spearman"] = scatter["spearman"];
  result["pairs"] = pairs.size();
  return result;
}

}  // namespace dcl::analysis
