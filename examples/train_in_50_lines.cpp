// Training in 50 lines: a program's own network type, trained by the library's trainer on a
// folder-per-class data set of three classes (DATA/<class>/*.jpg|png), a line per epoch, the
// best epoch saved as a model file, which is then loaded into a fresh network and must score
// on the validation images exactly what the trainer measured (exit 1 otherwise).
//   tarmac-example-train DATA MODEL.yml
#include <cstdio>

#include <tarmac/tarmac.hpp>

namespace nn = tarmac::nn;
namespace train = tarmac::train;

// 32x32 BGR in (the loader resizes each frame's region of interest), two convolution blocks,
// three classes out: 4,467 parameters.
using my_net = nn::network<nn::input<32, 32, 3>, nn::conv2d<8, 3>, nn::maxpool2d<2>, nn::relu,
                           nn::conv2d<16, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<3>>;

int main(int argc, char** argv) try {
  if (argc != 3) return std::fprintf(stderr, "usage: %s DATA MODEL.yml\n", argv[0]), 2;
  const train::labelled_set data(argv[1]);
  const tarmac::data::split_indices split = train::training_split(data, 0.25, 1);
  my_net net({.threads = 2, .init = nn::init_scheme::he, .seed = 1});
  train::options options;  // the library's defaults, shortened
  options.epochs = 20;
  options.batch = 8;
  options.learning_rate = 3e-3;
  options.augmentation = train::augmentation::none();
  train::trainer trainer(net, options);
  const tarmac::surface::model_metadata meta{data.set.classes(), options.roi, "examples/train_in_50_lines.cpp"};
  trainer.on.epoch = [](const train::epoch_record& r) {
    std::printf("epoch %2zu: training loss %.3f, validation accuracy %.3f\n", r.epoch, r.train_loss, r.validation_accuracy);
  };
  trainer.on.checkpoint = [&](const train::epoch_record&, my_net& best) { tarmac::surface::save_model(argv[2], best, meta); };
  const train::result r = trainer.fit(data.set.samples(), split);
  std::printf("best: epoch %zu, validation accuracy %.3f, loss %.4f\n", r.best.epoch, r.best.validation_accuracy,
              r.best.validation_loss);

  my_net loaded({.threads = 2});
  tarmac::surface::load_model(argv[2], loaded);
  const train::evaluation check = train::evaluate(loaded, data.set.samples(), split.validation, options);
  std::printf("%s, loaded: validation accuracy %.3f, loss %.4f\n", argv[2], check.accuracy, check.loss);
  return check.accuracy == r.best.validation_accuracy && check.loss == r.best.validation_loss ? 0 : 1;
} catch (const tarmac::error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
