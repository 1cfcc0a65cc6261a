// `dcl analyze saliency|embeddings|confusion|mi` (spec section 6) and `dcl report`.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dcl/analysis/analyses.h"
#include "dcl/experiments/compare.h"
#include "dcl/report/html_report.h"

namespace dcl::cli {

namespace {

// Bounds of the analyses' indices and image counts: far beyond any network or test split, so a
// typo is an error here and a real index past the end is named by the analysis.
constexpr long long kMaxIndex = 1 << 20;
constexpr long long kMaxImages = 1LL << 31;

void add_run_selection(CLI::App* cmd, analysis::RunSelection& r) {
  cmd->add_option("--run", r.run, "Run directory written by dcl train")->required();
  cmd->add_option("--data-dir", r.data_dir, "Override the run's dataset directory");
  cmd->add_option("--out", r.out, "Output directory (default: RUN/analysis, where dcl report finds the figures)");
  cmd->add_option("--threads", r.threads, "Intra-op threads (0 = all cores)")
      ->check(integer_in(0, 1024, "0 = all cores"));
}

// Prints the analysis's summary and where its files went.
int print_result(const nlohmann::json& result, const std::string& where) {
  std::printf("%s\n", result.dump(2).c_str());
  std::fprintf(stderr, "written to %s\n", where.c_str());
  return 0;
}

std::string out_dir(const analysis::RunSelection& r) { return r.out.empty() ? r.run + "/analysis" : r.out; }

}  // namespace

void add_analyze_commands(CLI::App& app, std::vector<std::pair<CLI::App*, Action>>& actions) {
  auto* analyze = app.add_subcommand("analyze",
                                     "What a trained network learned (spec section 6): saliency, "
                                     "dictionary structure, confusion, mutual information");
  analyze->require_subcommand(1);

  auto sal = std::make_shared<analysis::SaliencyOptions>();
  auto* s = analyze->add_subcommand(
      "saliency",
      "Figure 5: for a dcl/dcl-s block, the map k -> <h_k, pool_l(t_z)> over positions k for the top-1 and top-2 "
      "labels, upsampled over each test image (fc networks: per-patch bars). Writes saliency.png, saliency.pt "
      "(maps [N,2,H,W] or [N,2,P], labels, scores, indices) and saliency.json (top labels, scores, each top-1 "
      "map's peak and its share of positive weight on the object's pixels)");
  add_run_selection(s, sal->run);
  s->add_option("--block", sal->block, "Block index (default -1: the last block)")
      ->check(integer_in(-1, kMaxIndex, "-1 = the last block"));
  // One row of maps per image: beyond a few hundred the figure is too tall to open.
  s->add_option("--images", sal->images, "The first N test images (at most 256)")
      ->capture_default_str()
      ->check(integer_in(1, 256));
  s->add_option("--index", sal->indices, "These test images instead (indices into the test split)")
      ->check(integer_in(0, kMaxIndex))
      ->delimiter(',');
  actions.emplace_back(s, [sal] { return print_result(analysis::analyze_saliency(*sal), out_dir(sal->run)); });

  auto emb = std::make_shared<analysis::EmbeddingsOptions>();
  auto* e = analyze->add_subcommand(
      "embeddings",
      "Figure 6: the cosine similarities of a dcl/dcl-s run's label embeddings as a heat map (ordered by the "
      "dataset's class groups: CIFAR-100's 20 superclasses, or by the dendrogram), each label's nearest "
      "neighbours, an average-linkage clustering (dendrogram), and where the dataset has groups the share of "
      "labels whose nearest neighbour is in their own group against chance. Writes embeddings_similarity.png/.json "
      "and embeddings_dendrogram.png/.json");
  add_run_selection(e, emb->run);
  e->add_option("--neighbours", emb->neighbours, "Nearest neighbours listed per label")
      ->capture_default_str()
      ->check(integer_in(1, kMaxIndex));
  e->add_option("--embedding-block", emb->embedding_block,
                "Compare block L's view of the embeddings, map_l(t_z) (pooled or linear: what its loss compares "
                "with), instead of the embeddings t_z themselves (default -1)")
      ->check(integer_in(-1, kMaxIndex, "-1 = the embeddings themselves"));
  actions.emplace_back(e, [emb] { return print_result(analysis::analyze_embeddings(*emb), out_dir(emb->run)); });

  auto conf = std::make_shared<analysis::ConfusionOptions>();
  auto* c = analyze->add_subcommand(
      "confusion",
      "Figure 7: the confusion matrix on the test split (confusion.png, .csv, .json) and, for dcl/dcl-s, each "
      "pair of labels' confusion rate (count[i][j] + count[j][i]) / (n_i + n_j) against the cosine similarity of "
      "their embeddings, with Spearman's rho (confusion_vs_similarity.png, .csv, .json)");
  add_run_selection(c, conf->run);
  c->add_option("--block", conf->block,
                "Use block L's layer-wise prediction instead of the run's reported one (default -1: reported)")
      ->check(integer_in(-1, kMaxIndex, "-1 = the run's reported prediction"));
  c->add_option("--limit", conf->limit,
                "Only the first N test images (0 = those the run was evaluated on: its --limit-test, or all)")
      ->capture_default_str()
      ->check(integer_in(0, kMaxImages, "0 = the run's own"));
  c->add_option("--embedding-block", conf->embedding_block,
                "Similarities of block L's view of the embeddings, map_l(t_z), instead of t_z (default -1)")
      ->check(integer_in(-1, kMaxIndex, "-1 = the embeddings themselves"));
  actions.emplace_back(c, [conf] { return print_result(analysis::analyze_confusion(*conf), out_dir(conf->run)); });

  auto mi = std::make_shared<analysis::MutualInformationOptions>();
  auto* m = analyze->add_subcommand(
      "mi",
      "Figure 3: per block, estimates of I(h; y) with the label and I(h; r) with a task-irrelevant variable r, for "
      "several runs on one dataset. r: each image gets one of --nuisances fixed smooth random patterns (std "
      "--amplitude in normalised pixels), drawn uniformly and independently of its label, added to its pixels. "
      "Each estimate is the variational lower bound H(v) - CE, CE being the held-out cross-entropy of a probe "
      "(linear unless --probe-hidden; Adam for a fixed number of epochs, keeping the epoch that does best on a "
      "held-out fifth of its training images; the same for every run and block) trained on frozen, centred "
      "features (conv outputs average-pooled to at most 2048 values). It is a lower bound: "
      "information this probe cannot read with its budget is not counted, and on finite data it can fall slightly "
      "below 0; it is not an estimate of the true mutual information. Writes mi->png and mi->json (nats)");
  m->add_option("--runs", mi->runs, "Run directories (e.g. feat, contrast and dcl runs)")->required();
  m->add_option("--data-dir", mi->data_dir, "Override the runs' dataset directory");
  m->add_option("--out", mi->out, "Output directory (default: the first run's analysis/)");
  m->add_option("--threads", mi->threads, "Intra-op threads (0 = all cores)")
      ->check(integer_in(0, 1024, "0 = all cores"));
  // A fifth of the probe's training images is held out to pick its epoch: at least 10 leaves two.
  m->add_option("--probe-train", mi->probe_train, "Training images the probes learn from (at least 10)")
      ->capture_default_str()
      ->check(integer_in(10, kMaxImages));
  m->add_option("--probe-test", mi->probe_test, "Test images the probes are evaluated on")
      ->capture_default_str()
      ->check(integer_in(1, kMaxImages));
  m->add_option("--nuisances", mi->nuisances, "Values of r (H(r) = log of this)")
      ->capture_default_str()
      ->check(integer_in(2, 1024));
  m->add_option("--amplitude", mi->amplitude, "Standard deviation of a nuisance pattern")
      ->capture_default_str()
      ->check(number_above(0));
  m->add_option("--probe-hidden", mi->probe.hidden, "Probe hidden width (0 = linear probe)")
      ->capture_default_str()
      ->check(integer_in(0, 65536, "0 = a linear probe"));
  m->add_option("--probe-epochs", mi->probe.epochs, "Probe training epochs")
      ->capture_default_str()
      ->check(integer_in(1, 100000));
  m->add_option("--probe-lr", mi->probe.lr, "Probe learning rate (Adam)")
      ->capture_default_str()
      ->check(number_above(0));
  actions.emplace_back(m, [mi] {
    return print_result(analysis::analyze_mutual_information(*mi),
                        mi->out.empty() ? mi->runs.front() + "/analysis" : mi->out);
  });

  struct ReportFlags {
    std::vector<std::string> dirs;
    std::string out = "report.html";
  };
  auto report = std::make_shared<ReportFlags>();
  auto* r = app.add_subcommand(
      "report",
      "One self-contained HTML page (no network needed to view it) for run directories and dcl compare "
      "directories: each run's configuration, training curves per block, the comparison table with the spec's "
      "reference numbers beside it, and every figure dcl analyze wrote into RUN/analysis/");
  r->add_option("dirs", report->dirs, "Run or compare directories")->required();
  r->add_option("--out", report->out, "The HTML file to write")->capture_default_str();
  actions.emplace_back(r, [report] {
    ReportOptions o;
    o.dirs = report->dirs;
    o.reference_error = reference_error;
    for (const auto& warning : write_html_report(o, report->out))
      std::fprintf(stderr, "dcl: warning: %s\n", warning.c_str());
    std::fprintf(stderr, "report written to %s\n", report->out.c_str());
    return 0;
  });
}

}  // namespace dcl::cli
