#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>
#include <vector>

#include <tarmac/core/stop.hpp>
#include <tarmac/image/roi.hpp>
#include <tarmac/image/tensor.hpp>
#include <tarmac/train/trainer.hpp>

#include "tiny_set.hpp"

namespace train = tarmac::train;
namespace data = tarmac::data;

namespace {

// Clears a stop request a test made, however the test ends.
struct stop_reset {
  ~stop_reset() { tarmac::request_stop(0); }
};

std::vector<float> copy(std::span<const float> p) { return {p.begin(), p.end()}; }

// Every callback's calls, as they came.
struct recorder {
  std::vector<std::pair<std::size_t, std::size_t>> begins;  // (epoch, images)
  std::vector<train::step_report> steps;
  std::vector<train::epoch_record> epochs, checkpoints;
  std::vector<std::vector<float>> checkpoint_parameters;
  std::vector<data::skipped_file> skipped;

  void attach(train::trainer<tiny::net>& t) {
    t.on.epoch_begin = [this](std::size_t epoch, std::size_t images) { begins.emplace_back(epoch, images); };
    t.on.step = [this](const train::step_report& r) { steps.push_back(r); };
    t.on.epoch = [this](const train::epoch_record& r) { epochs.push_back(r); };
    t.on.skipped = [this](const data::skipped_file& f) { skipped.push_back(f); };
    t.on.checkpoint = [this](const train::epoch_record& r, tiny::net& net) {
      checkpoints.push_back(r);
      checkpoint_parameters.push_back(copy(net.parameters()));
    };
  }
};

void check_same(const train::epoch_record& a, const train::epoch_record& b) {
  CHECK(a.epoch == b.epoch);
  CHECK(a.train_loss == b.train_loss);
  CHECK(a.validation_loss == b.validation_loss);
  CHECK(a.validation_balanced_accuracy == b.validation_balanced_accuracy);
}

}  // namespace

TEST_CASE("learning_rate: cosine from the base rate down to 1% over the epochs, constant otherwise") {
  train::options o;
  o.learning_rate = 0.1;
  o.epochs = 5;
  CHECK(train::learning_rate(o, 1) == doctest::Approx(0.1));
  CHECK(train::learning_rate(o, 3) == doctest::Approx(0.1 * (0.01 + 0.99 * 0.5)));
  CHECK(train::learning_rate(o, 5) == doctest::Approx(0.001));
  for (std::size_t e = 2; e <= 5; ++e) CHECK(train::learning_rate(o, e) < train::learning_rate(o, e - 1));
  o.epochs = 1;
  CHECK(train::learning_rate(o, 1) == doctest::Approx(0.1));
  o.epochs = 5;
  o.iterations = 100;  // no known last epoch: the base rate
  CHECK(train::learning_rate(o, 4) == 0.1);
  o.iterations = 0;
  o.schedule = train::schedule::constant;
  for (std::size_t e = 1; e <= 5; ++e) CHECK(train::learning_rate(o, e) == 0.1);
}

TEST_CASE("selection: the better checkpoint by balanced accuracy or accuracy, ties to the lower loss") {
  train::epoch_record majority, balanced;
  majority.validation_accuracy = 0.9, majority.validation_balanced_accuracy = 0.5, majority.validation_loss = 0.3;
  balanced.validation_accuracy = 0.8, balanced.validation_balanced_accuracy = 0.7, balanced.validation_loss = 0.4;
  CHECK(train::score(train::selection::balanced_accuracy, majority) == 0.5);
  CHECK(train::score(train::selection::accuracy, majority) == 0.9);
  CHECK(train::better(train::selection::balanced_accuracy, balanced, majority));
  CHECK_FALSE(train::better(train::selection::balanced_accuracy, majority, balanced));
  CHECK(train::better(train::selection::accuracy, majority, balanced));
  CHECK_FALSE(train::better(train::selection::accuracy, balanced, majority));
  train::epoch_record tie = balanced;
  tie.validation_loss = 0.35;
  CHECK(train::better(train::selection::balanced_accuracy, tie, balanced));
  CHECK_FALSE(train::better(train::selection::balanced_accuracy, balanced, tie));
  CHECK_FALSE(train::better(train::selection::balanced_accuracy, balanced, balanced));  // equal is not better
}

TEST_CASE("balancing: loss weights and each epoch's items") {
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < 8; ++i) samples.push_back({"f" + std::to_string(i), i < 2 ? 0u : 1u});
  const std::vector<std::size_t> train_items{0, 1, 2, 3, 4, 5, 6, 7}, counts{2, 6};
  const auto weights = train::loss_weights(train::balance::weights, counts);
  REQUIRE(weights.size() == 2);
  CHECK(weights[0] == doctest::Approx(0.5));  // each class's images weigh 1 together
  CHECK(weights[1] == doctest::Approx(1.0 / 6));
  for (auto b : {train::balance::none, train::balance::replicate, train::balance::sample})
    CHECK(train::loss_weights(b, counts).empty());

  CHECK(train::epoch_items(train::balance::none, samples, train_items, counts, 1, 1) == train_items);
  CHECK(train::epoch_items(train::balance::weights, samples, train_items, counts, 1, 1) == train_items);
  const auto replicated = train::epoch_items(train::balance::replicate, samples, train_items, counts, 1, 1);
  CHECK(replicated == std::vector<std::size_t>{0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6, 7});
  const auto drawn = train::epoch_items(train::balance::sample, samples, train_items, counts, 1, 1);
  CHECK(drawn.size() == 8);
  CHECK(drawn == data::weighted_draw(samples, train_items, data::class_weights(counts), 8, 2));  // seeded by seed + epoch
  CHECK(drawn == train::epoch_items(train::balance::sample, samples, train_items, counts, 0, 2));
  std::size_t small = 0;
  for (int epoch = 1; epoch <= 50; ++epoch)
    for (std::size_t i : train::epoch_items(train::balance::sample, samples, train_items, counts, 1, std::size_t(epoch))) small += i < 2;
  CHECK(small > 150);  // half of 400 draws, where unbalanced they would be a quarter
  CHECK(small < 250);
}

TEST_CASE("training_counts names the class left without training images") {
  const std::vector<tarmac::class_info> classes{{"01good", "good"}, {"02bad", "bad"}};
  const std::vector<data::sample> samples{{"a", 0}, {"b", 0}, {"c", 1}};
  CHECK(train::training_counts(classes, samples, {0, 1, 2}) == std::vector<std::size_t>{2, 1});
  CHECK_THROWS_WITH_AS(train::training_counts(classes, samples, {0, 1}),
                       "class 02bad has no training images after the validation split", tarmac::invalid_argument);
}

TEST_CASE("layer_ranges: where a layer's weights and biases lie in the parameter buffer") {
  auto net = tiny::make_net();
  const auto ranges = train::layer_ranges(net, {0, 4});
  REQUIRE(ranges.size() == 4);
  const float* first = net.parameters().data();
  CHECK(ranges[0].offset == std::size_t(net.weights<0>().data() - first));
  CHECK(ranges[0].size == 3 * 3 * 3 * 4);
  CHECK(ranges[1].offset == std::size_t(net.biases<0>().data() - first));
  CHECK(ranges[1].size == 4);
  CHECK(ranges[2].offset == std::size_t(net.weights<4>().data() - first));
  CHECK(ranges[2].size == 4 * 4 * 4 * 2);
  CHECK(ranges[3].offset == std::size_t(net.biases<4>().data() - first));
  CHECK(ranges[3].size == 2);
  CHECK(train::layer_ranges(net, {1, 2}).empty());  // pooling and relu hold no parameters
}

TEST_CASE("fit: the callbacks see every epoch, step and better checkpoint; the net ends with the best parameters") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  const auto o = tiny::options();
  train::trainer t(net, o);
  recorder seen;
  seen.attach(t);
  const train::result r = t.fit(d.set.samples(), d.split);

  CHECK(r.epochs_run == 3);
  CHECK(r.steps == 12);  // 16 training images in batches of 4, three times
  CHECK_FALSE(r.interrupted);
  CHECK_FALSE(r.stopped_early);
  CHECK(r.skipped.empty());
  CHECK(seen.begins == std::vector<std::pair<std::size_t, std::size_t>>{{1, 16}, {2, 16}, {3, 16}});
  REQUIRE(seen.steps.size() == 12);
  double loss = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const train::step_report& s = seen.steps[i];
    CHECK(s.step == i + 1);
    CHECK(s.epoch == i / 4 + 1);
    CHECK(s.images == 4);
    CHECK(s.done == 4 * (i % 4 + 1));
    CHECK(s.total == 16);
    CHECK(s.learning_rate == doctest::Approx(train::learning_rate(o, s.epoch)));
    loss += s.loss;
    if (i % 4 == 3) {  // an epoch's training loss is the mean of its steps' (equal batches)
      CHECK(seen.epochs.at(i / 4).train_loss == doctest::Approx(loss / 4));
      loss = 0;
    }
  }
  REQUIRE(seen.epochs.size() == 3);
  REQUIRE(r.history.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    check_same(seen.epochs[e], r.history[e]);
    CHECK(seen.epochs[e].epoch == e + 1);
    CHECK(seen.epochs[e].validation_loss > 0);
  }
  // Checkpoints: the first epoch, then each epoch better than all before it; the last is the result's best.
  REQUIRE(!seen.checkpoints.empty());
  CHECK(seen.checkpoints[0].epoch == 1);
  train::epoch_record best = r.history[0];
  std::size_t next = 1;
  for (std::size_t e = 1; e < 3; ++e)
    if (train::better(o.selection, r.history[e], best)) {
      best = r.history[e];
      REQUIRE(next < seen.checkpoints.size());
      check_same(seen.checkpoints[next++], best);
    }
  CHECK(next == seen.checkpoints.size());
  check_same(r.best, best);
  CHECK(copy(net.parameters()) == seen.checkpoint_parameters.back());
  CHECK(r.validation.total() == 4);
  CHECK(r.validation.accuracy() == r.best.validation_accuracy);
  CHECK(r.best.validation_accuracy == 1.0);  // dark against bright: learnt in three epochs
}

TEST_CASE("fit: without validation items every epoch is the better one, and the last is kept") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  train::trainer t(net, tiny::options());
  recorder seen;
  seen.attach(t);
  data::split_indices all{d.split.train, {}};
  const train::result r = t.fit(d.set.samples(), all);
  REQUIRE(seen.checkpoints.size() == 3);
  CHECK(seen.checkpoints[2].epoch == 3);
  CHECK(r.best.epoch == 3);
  CHECK(r.best.validation_accuracy == 0);
  CHECK(r.validation.total() == 0);
}

TEST_CASE("fit: early stopping after `patience` epochs without a better checkpoint") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  const auto before = copy(net.parameters());
  auto o = tiny::options();
  o.epochs = 10;
  o.patience = 2;
  // Every parameter held still: each epoch scores as the first did, and none is better.
  o.frozen = {{0, net.parameters().size()}};
  o.freeze_epochs = 10;
  train::trainer t(net, o);
  recorder seen;
  seen.attach(t);
  const train::result r = t.fit(d.set.samples(), d.split);
  CHECK(r.stopped_early);
  CHECK(r.epochs_run == 3);
  CHECK(seen.epochs.size() == 3);
  CHECK(seen.checkpoints.size() == 1);
  CHECK(r.best.epoch == 1);
  CHECK(seen.epochs[2].validation_loss == seen.epochs[0].validation_loss);
  CHECK(copy(net.parameters()) == before);

  o.patience = 0;  // never: every epoch runs
  o.epochs = 4;
  train::trainer patient(net, o);
  const train::result all = patient.fit(d.set.samples(), d.split);
  CHECK_FALSE(all.stopped_early);
  CHECK(all.epochs_run == 4);
}

TEST_CASE("fit: frozen ranges hold still for freeze_epochs epochs, then train") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  const auto conv = copy(net.weights<0>()), dense = copy(net.weights<4>());
  auto o = tiny::options();
  o.epochs = 2;
  o.frozen = train::layer_ranges(net, {0});
  o.freeze_epochs = 1;
  train::trainer t(net, o);
  std::vector<std::vector<float>> conv_after, dense_after;
  t.on.epoch = [&](const train::epoch_record&) {
    conv_after.push_back(copy(net.weights<0>()));
    dense_after.push_back(copy(net.weights<4>()));
  };
  t.fit(d.set.samples(), d.split);
  REQUIRE(conv_after.size() == 2);
  CHECK(conv_after[0] == conv);
  CHECK(dense_after[0] != dense);
  CHECK(conv_after[1] != conv);
}

TEST_CASE("fit: a stop request ends training after the current step; the cut epoch is not scored") {
  const stop_reset reset;
  const auto& d = tiny::data();
  SUBCASE("in the second epoch: the first epoch's checkpoint is the result") {
    auto net = tiny::make_net();
    train::trainer t(net, tiny::options());
    recorder seen;
    seen.attach(t);
    t.on.step = [&](const train::step_report& s) {
      seen.steps.push_back(s);
      if (s.step == 6) tarmac::request_stop(SIGINT);
    };
    const train::result r = t.fit(d.set.samples(), d.split);
    CHECK(r.interrupted);
    CHECK(r.steps == 6);
    CHECK(seen.steps.size() == 6);
    CHECK(r.epochs_run == 1);
    CHECK(seen.epochs.size() == 1);
    CHECK(r.best.epoch == 1);
    CHECK(copy(net.parameters()) == seen.checkpoint_parameters.at(0));
  }
  SUBCASE("in the first epoch: no epoch finished, no checkpoint") {
    auto net = tiny::make_net();
    train::trainer t(net, tiny::options());
    recorder seen;
    seen.attach(t);
    t.on.step = [&](const train::step_report&) { tarmac::request_stop(SIGTERM); };
    const train::result r = t.fit(d.set.samples(), d.split);
    CHECK(r.interrupted);
    CHECK(r.steps == 1);
    CHECK(r.epochs_run == 0);
    CHECK(r.best.epoch == 0);
    CHECK(seen.epochs.empty());
    CHECK(seen.checkpoints.empty());
  }
  SUBCASE("before it starts: nothing is trained") {
    auto net = tiny::make_net();
    const auto before = copy(net.parameters());
    tarmac::request_stop(SIGINT);
    const train::result r = train::trainer(net, tiny::options()).fit(d.set.samples(), d.split);
    CHECK(r.interrupted);
    CHECK(r.steps == 0);
    CHECK(copy(net.parameters()) == before);
  }
}

TEST_CASE("fit: iterations end the run after that many steps, and that epoch is scored") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  auto o = tiny::options();
  o.iterations = 6;
  const train::result r = train::trainer(net, o).fit(d.set.samples(), d.split);
  CHECK(r.steps == 6);
  CHECK(r.epochs_run == 2);
  CHECK(r.history.size() == 2);
  CHECK_FALSE(r.interrupted);
}

TEST_CASE("fit: the balancing and the augmentation make each epoch's images") {
  const auto& d = tiny::data();
  data::split_indices unbalanced = d.split;  // 8 dark and 4 bright frames
  unbalanced.train.resize(12);
  REQUIRE(d.set.samples()[unbalanced.train.back()].label == 1);
  const struct {
    train::balance balance;
    train::augmentation augmentation;
    std::size_t images;
  } cases[] = {{train::balance::none, train::augmentation::none(), 12},
               {train::balance::weights, train::augmentation::strong(), 12},
               {train::balance::replicate, train::augmentation::none(), 16},  // bright twice
               {train::balance::sample, train::augmentation::none(), 12},
               {train::balance::replicate, train::augmentation::rtk_views(), 48}};  // three views each
  for (const auto& c : cases) {
    auto net = tiny::make_net();
    auto o = tiny::options();
    o.epochs = 1;
    o.balance = c.balance;
    o.augmentation = c.augmentation;
    train::trainer t(net, o);
    std::size_t images = 0, trained = 0;
    t.on.epoch_begin = [&](std::size_t, std::size_t n) { images = n; };
    t.on.step = [&](const train::step_report& s) { trained = s.done; };
    t.fit(d.set.samples(), unbalanced);
    CHECK(images == c.images);
    CHECK(trained == c.images);
  }
  CHECK(train::augmentation::none().augment.empty());
  CHECK(train::augmentation::rtk_views().views == data::views::rtk_three);
  CHECK(train::augmentation::rtk_views().augment.empty());
  const train::augmentation strong = train::augmentation::strong(0.5);
  CHECK(strong.views == data::views::original);
  const cv::Mat frame = cv::imread(d.set.samples()[0].path.string());
  tarmac::image::random_engine a(5), b(5);
  const cv::Mat once = strong.augment(frame, a), again = strong.augment(frame, b);
  CHECK(once.size() == frame.size());
  CHECK(cv::norm(once, again, cv::NORM_INF) == 0);  // seeded
  CHECK(cv::norm(once, frame, cv::NORM_INF) > 0);
}

TEST_CASE("fit: the frame cache, its budget and the loader threads do not change the model, bit for bit") {
  const auto& d = tiny::data();
  const auto trained = [&](std::size_t budget, std::size_t loader_threads, train::augmentation augmentation) {
    auto net = tiny::make_net();
    auto o = tiny::options();
    o.cache_budget = budget, o.loader_threads = loader_threads, o.augmentation = augmentation;
    train::trainer t(net, o);
    const train::result r = t.fit(d.set.samples(), d.split);
    return std::pair{copy(net.parameters()), r.cache};
  };
  const std::size_t frame = data::frame_cache::frame_bytes({8, 8});
  for (const train::augmentation& a : {train::augmentation::strong(), train::augmentation::rtk_views()}) {
    const auto [cached, stats] = trained(train::options{}.cache_budget, 2, a);
    // 20 frames decoded once (16 training, 4 validation), then read from memory: 16 x 3 epochs
    // of training (x3 views for rtk_views) and 4 x 3 of validation, less the first reads.
    const std::size_t reads = 16 * 3 * (a.views == data::views::rtk_three ? 3 : 1) + 4 * 3;
    CHECK(stats.budget == std::size_t{1} << 30);
    CHECK(stats.bytes == 20 * frame);
    // Two loader threads may both miss a frame whose views they make at once: at least 20 misses.
    CHECK(stats.misses >= 20);
    CHECK(stats.hits + stats.misses == reads);
    const auto [streamed, none] = trained(0, 2, a);
    CHECK(streamed == cached);
    CHECK(none.budget == 0);
    CHECK(none.hits + none.misses == 0);
    const auto [partly, some] = trained(5 * frame, 1, a);  // over budget: five kept, the rest decoded every time
    CHECK(partly == cached);
    CHECK(some.bytes == 5 * frame);
    CHECK(some.hits + some.misses == reads);
    CHECK(some.misses > 20);
    CHECK(trained(train::options{}.cache_budget, 3, a).first == cached);
  }
}

TEST_CASE("fit: each epoch says where its time went") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  auto o = tiny::options();
  o.augmentation = train::augmentation::strong();
  train::trainer t(net, o);
  std::vector<train::epoch_record> seen;
  t.on.epoch = [&](const train::epoch_record& r) { seen.push_back(r); };
  t.on.checkpoint = [&](const train::epoch_record&, tiny::net&) { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };
  const train::result r = t.fit(d.set.samples(), d.split);
  REQUIRE(r.history.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    const train::epoch_times& times = r.history[e].times;
    CHECK(r.history[e].images == 16);
    CHECK(times.step > 0);
    CHECK(times.validation > 0);
    CHECK(times.decode > 0);
    CHECK(times.augment > 0);
    CHECK(times.step + times.wait + times.validation <= r.history[e].seconds);
    CHECK(seen[e].times.callbacks == 0);  // not known yet when on.epoch sees the record
  }
  CHECK(r.history[0].times.callbacks >= 0.03);  // the first epoch is always a checkpoint
  // A run's totals add every field of every epoch.
  train::epoch_times total;
  for (const train::epoch_record& e : r.history) total += e.times;
  for (double train::epoch_times::*field : {&train::epoch_times::step, &train::epoch_times::wait, &train::epoch_times::validation,
                                           &train::epoch_times::callbacks, &train::epoch_times::decode,
                                           &train::epoch_times::augment})
    CHECK(total.*field == doctest::Approx(r.history[0].times.*field + r.history[1].times.*field + r.history[2].times.*field));
}

TEST_CASE("fit: files that cannot be used are reported once each and left out") {
  const auto& d = tiny::data();
  std::vector<data::sample> samples = d.set.samples();
  const auto broken = std::filesystem::temp_directory_path() / "tarmac_test_train_broken.png";
  std::ofstream(broken) << "not a png";
  samples.push_back({broken, 0});
  data::split_indices split = d.split;
  split.train.push_back(samples.size() - 1);
  auto net = tiny::make_net();
  train::trainer t(net, tiny::options());
  recorder seen;
  seen.attach(t);
  const train::result r = t.fit(samples, split);
  REQUIRE(seen.skipped.size() == 1);
  CHECK(seen.skipped[0].path == broken);
  CHECK(r.skipped.size() == 1);
  CHECK(r.epochs_run == 3);
  CHECK(seen.begins[0].second == 17);
  CHECK(seen.steps.back().done == 16);  // 17 items, 16 of them images
}

TEST_CASE("fit: the test items are scored with the best parameters") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  const train::result r = train::trainer(net, tiny::options()).fit(d.set.samples(), d.split, d.split.validation);
  CHECK(r.test.total() == 4);
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t p = 0; p < 2; ++p) CHECK(r.test(t, p) == r.validation(t, p));
  REQUIRE(r.test_predictions.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    const train::prediction& p = r.test_predictions[i];
    CHECK(p.sample == d.split.validation[i]);
    CHECK(p.probability >= 0.5f);  // the larger of two probabilities
    CHECK(p.predicted == d.set.samples()[p.sample].label);  // all right (see the validation accuracy above)
  }
}

TEST_CASE("evaluate: loss, accuracy, confusion and predictions as the network gives them, with and without tta") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  auto o = tiny::options();
  for (bool tta : {false, true}) {
    o.tta = tta;
    const train::evaluation e = train::evaluate(net, d.set.samples(), d.split.validation, o);
    REQUIRE(e.predictions.size() == 4);
    double loss = 0;
    std::size_t right = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const data::sample& s = d.set.samples()[d.split.validation[i]];
      xt::xtensor<float, 4> x = xt::empty<float>({std::size_t(1), std::size_t(8), std::size_t(8), std::size_t(3)});
      tarmac::image::to_tensor_into(tarmac::image::crop_roi(cv::imread(s.path.string()), o.roi), x, 0);
      auto p = net.predict(x);
      if (tta) p = (p + net.predict(tarmac::image::mirrored(x, 1))) / 2.0f;
      const std::size_t predicted = p(0, 1) > p(0, 0) ? 1 : 0;
      CHECK(e.predictions[i].sample == d.split.validation[i]);
      CHECK(e.predictions[i].predicted == predicted);
      CHECK(e.predictions[i].probability == doctest::Approx(p(0, predicted)));
      loss -= std::log(double(p(0, s.label)));
      right += predicted == s.label;
    }
    CHECK(e.loss == doctest::Approx(loss / 4));
    CHECK(e.accuracy == double(right) / 4);
    CHECK(e.matrix.total() == 4);
    CHECK(e.matrix.accuracy() == e.accuracy);
  }
  const train::evaluation none = train::evaluate(net, d.set.samples(), {}, o);
  CHECK(none.matrix.total() == 0);
  CHECK(none.accuracy == 0);
}

TEST_CASE("trainer: bad options and items are refused, naming what is wrong") {
  const auto& d = tiny::data();
  auto net = tiny::make_net();
  auto o = tiny::options();
  o.batch = 0;
  CHECK_THROWS_AS(train::trainer(net, o), tarmac::invalid_argument);
  o = tiny::options();
  o.epochs = 0;
  CHECK_THROWS_AS(train::trainer(net, o), tarmac::invalid_argument);
  o.iterations = 5;  // steps instead of epochs
  CHECK_NOTHROW(train::trainer(net, o));
  o = tiny::options();
  o.learning_rate = 0;
  CHECK_THROWS_AS(train::trainer(net, o), tarmac::invalid_argument);
  o = tiny::options();
  o.frozen = {{net.parameters().size() - 1, 2}};
  CHECK_THROWS_WITH_AS(train::trainer(net, o), doctest::Contains("outside the network's"), tarmac::invalid_argument);
  train::trainer t(net, tiny::options());
  std::vector<data::sample> samples = d.set.samples();
  samples[0].label = 2;
  CHECK_THROWS_WITH_AS(t.fit(samples, d.split), doctest::Contains("has label 2, the network has 2 classes"), tarmac::invalid_argument);
  data::split_indices one_class{{0, 1, 2}, {}};
  CHECK_THROWS_WITH_AS(t.fit(d.set.samples(), one_class), "trainer: class 1 has no training images", tarmac::invalid_argument);
  data::split_indices outside{{0, 100}, {}};
  CHECK_THROWS_WITH_AS(t.fit(d.set.samples(), outside), doctest::Contains("item 100 is not one of the 20 samples"),
                       tarmac::invalid_argument);
}
