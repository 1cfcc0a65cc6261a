#include "dcl/analysis/features.h"

#include <algorithm>
#include <stdexcept>

#include "dcl/data/render_sample.h"
#include "dcl/losses/dictionary_loss.h"
#include "dcl/methods/method.h"
#include "dcl/report/label_structure.h"
#include "dcl/stages/readout.h"

namespace dcl::analysis {

std::vector<BlockOutput> block_outputs(Model& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model.train(false);
  std::vector<BlockOutput> out;
  torch::Tensor h = x;
  for (auto& stage : model.stages) {
    if (stage->kind() != StageKind::Block) continue;
    h = stage->forward(h);
    out.push_back({stage->name(), h, &stage->loss()});
  }
  if (!out.empty()) return out;
  for (size_t l = 0; l < model.net->blocks.size(); ++l) {
    h = model.net->blocks[l]->forward(h);
    out.push_back({"block" + std::to_string(l), h, nullptr});
  }
  return out;
}

namespace {

void check_indices(const data::ImageSet& set, const std::vector<int64_t>& indices) {
  for (int64_t i : indices)
    if (i < 0 || i >= set.count)
      throw std::invalid_argument("image index " + std::to_string(i) + " is outside the test set's 0.." +
                                  std::to_string(set.count - 1));
}

}  // namespace

torch::Tensor network_images(const data::ImageSet& set, const data::DatasetInfo& info,
                             const std::vector<int64_t>& indices) {
  check_indices(set, indices);
  torch::Tensor x = torch::empty({int64_t(indices.size()), info.channels, info.height, info.width});
  // The evaluation loader's own rendering: the test recipe, normalised.
  for (size_t n = 0; n < indices.size(); ++n)
    data::render_sample(set, info, indices[n], false, {}, x.data_ptr<float>() + int64_t(n) * x[0].numel());
  return x;
}

torch::Tensor display_images(const data::ImageSet& set, const data::DatasetInfo& info,
                             const std::vector<int64_t>& indices) {
  check_indices(set, indices);
  const int h = info.height, w = info.width;
  torch::Tensor x = torch::empty({int64_t(indices.size()), h, w, 3});
  auto a = x.accessor<float, 4>();
  std::vector<uint8_t> view(size_t(info.channels) * h * w);
  for (size_t n = 0; n < indices.size(); ++n) {
    data::test_view(set, info, indices[n], view.data());
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j)
        for (int c = 0; c < 3; ++c) {
          int plane = info.channels == 1 ? 0 : c;
          a[int64_t(n)][i][j][c] = float(view[size_t((plane * h + i) * w + j)]) / 255.f;
        }
  }
  return x;
}

torch::Tensor label_embeddings(Model& model, const std::string& method) {
  if (method_info(method).abilities.label_embeddings)
    for (auto& entry : model.shared)
      if (auto dictionary = std::dynamic_pointer_cast<DictionaryImpl>(entry.second))
        return dictionary->embeddings.detach();
  throw std::invalid_argument("the run's method '" + method +
                              "' has no label embeddings: this analysis needs a run of " +
                              method_names_where([](const MethodInfo& m) { return m.abilities.label_embeddings; }));
}

std::vector<double> embedding_similarity(Model& model, const std::string& method, int block, int* classes) {
  torch::Tensor t = label_embeddings(model, method);
  if (block >= 0) {
    std::vector<DictionaryLoss*> losses;
    for (auto& stage : model.stages)
      if (auto* loss = dynamic_cast<DictionaryLoss*>(&stage->loss())) losses.push_back(loss);
    if (size_t(block) >= losses.size())
      throw std::invalid_argument("--embedding-block " + std::to_string(block) + ": the run has " +
                                  std::to_string(losses.size()) + " blocks with a dictionary loss");
    torch::NoGradGuard no_grad;
    t = losses[size_t(block)]->mapped_dictionary();
  }
  t = t.cpu().to(torch::kDouble).contiguous();
  *classes = int(t.size(0));
  std::vector<double> e(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
  return cosine_similarity_matrix(e, int(t.size(0)), int(t.size(1)));
}

Predictions predict_set(Model& model, const data::ImageSet& set, const data::DatasetInfo& info,
                        const torch::Device& device, int block, int64_t limit) {
  torch::NoGradGuard no_grad;
  model.train(false);
  int64_t count = limit > 0 ? std::min(limit, set.count) : set.count;
  Predictions p;
  const int64_t batch = 500;
  for (int64_t start = 0; start < count; start += batch) {
    std::vector<int64_t> idx;
    for (int64_t i = start; i < std::min(count, start + batch); ++i) idx.push_back(i);
    Prediction pr = model.readout->predict(network_images(set, info, idx).to(device));
    torch::Tensor scores = pr.scores;
    if (block >= 0) {
      if (size_t(block) >= pr.layer_scores.size())
        throw std::invalid_argument("--block " + std::to_string(block) + ": the model has " +
                                    std::to_string(pr.layer_scores.size()) + " block(s) with layer-wise predictions");
      scores = pr.layer_scores[size_t(block)];
    }
    torch::Tensor pred = scores.argmax(1).to(torch::kCPU);
    for (size_t k = 0; k < idx.size(); ++k) {
      p.predicted.push_back(pred[int64_t(k)].item<int64_t>());
      p.truth.push_back(set.labels[size_t(idx[k])]);
    }
  }
  return p;
}

}  // namespace dcl::analysis
