// The evaluator through a model's readout, on an in-memory image set.
#include <gtest/gtest.h>

#include "dcl/data/registry.h"
#include "dcl/training/evaluator.h"
#include "test_models.h"

using namespace dcl;
using namespace test_models;

namespace {

data::ImageSet random_images(int count) {
  data::ImageSet s;
  s.count = count;
  s.channels = 1;
  s.height = s.width = 28;
  for (int i = 0; i < count * 28 * 28; ++i) s.pixels.push_back(uint8_t((i * 37) % 251));
  for (int i = 0; i < count; ++i) s.labels.push_back(i % 10);
  return s;
}

}  // namespace

TEST(Evaluator, AccuraciesAreThoseOfTheReadoutOverTheWholeSet) {
  Model m = model("dcl-s");
  data::ImageSet set = random_images(50);
  const data::DatasetInfo& info = data::dataset_info("fmnist");
  BatchLoader loader(set, info, 16, false, 1);
  EvalResult r = evaluate(m, loader, torch::kCPU, {});
  EXPECT_EQ(r.samples, 50);
  EXPECT_TRUE(m.net->is_training());  // the evaluator leaves the model as training expects it
  // By hand: the same batches through the readout.
  m.train(false);
  int64_t correct = 0, layer1 = 0;
  loader.start_epoch(0);
  Batch b;
  while (loader.next(b)) {
    Prediction p = m.readout->predict(b.images);
    correct += p.scores.argmax(1).eq(b.labels).sum().item<int64_t>();
    layer1 += p.layer_scores[1].argmax(1).eq(b.labels).sum().item<int64_t>();
  }
  EXPECT_DOUBLE_EQ(r.head_accuracy, double(correct) / 50);
  ASSERT_EQ(r.layer_accuracy.size(), 2u);
  EXPECT_DOUBLE_EQ(r.layer_accuracy[1], double(layer1) / 50);
}

TEST(Evaluator, EnsembleWeightsMustMatchTheScoringBlocks) {
  Model m = model("dcl-s");
  data::ImageSet set = random_images(8);
  BatchLoader loader(set, data::dataset_info("fmnist"), 8, false, 1);
  try {
    evaluate(m, loader, torch::kCPU, {1.0});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("2 blocks"), std::string::npos) << e.what();
  }
  // A weight of zero on block 0 makes the ensemble block 1's prediction.
  EvalResult r = evaluate(m, loader, torch::kCPU, {0.0, 1.0});
  EXPECT_DOUBLE_EQ(r.ensemble_accuracy, r.layer_accuracy[1]);
}
