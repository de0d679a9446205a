// A model and a cascade on image folders: folders matched to classes, counts as computed by
// hand (test doubles that read the answer off the pixels) or by an independent path (a real
// network called frame by frame), files that cannot be used, and "type and quality both right".
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <tarmac/eval/cascade.hpp>
#include <tarmac/eval/evaluate.hpp>
#include <tarmac/eval/mistakes_sheet.hpp>
#include <tarmac/nn.hpp>
#include <tarmac/surface/classifier.hpp>

#include "../temp_folder.hpp"

namespace fs = std::filesystem;
using namespace tarmac;

namespace {

// An 8x8 PNG of one colour: channel 0 (blue) codes one answer as 50 * a, channel 1 another.
void write_coded(const fs::path& path, std::size_t a, std::size_t b = 0) {
  fs::create_directories(path.parent_path());
  cv::imwrite(path.string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(double(50 * a), double(50 * b), 0)));
}

// A test double: calls each image the class coded in its channel `channel` (see write_coded).
struct coded_model {
  std::vector<class_info> names;
  std::size_t channel = 0;
  image::roi_rule rule = image::roi_rule::full();

  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
    const std::size_t k = names.size(), row = inputs.shape()[1] * inputs.shape()[2] * inputs.shape()[3];
    xt::xtensor<float, 2> p = xt::zeros<float>({inputs.shape()[0], k});
    for (std::size_t i = 0; i < inputs.shape()[0]; ++i) {
      const auto code = std::size_t(std::lround(inputs.data()[i * row + channel] * 255 / 50)) % k;
      for (std::size_t c = 0; c < k; ++c) p(i, c) = c == code ? 0.8f : 0.2f / float(k - 1);
    }
    return p;
  }
  const std::vector<class_info>& classes() const { return names; }
  const image::roi_rule& roi() const { return rule; }
  image::input_size input() const { return {2, 2}; }
};

}  // namespace

TEST_CASE("find_class and relabel: data folders matched to a model's classes by id") {
  CHECK(eval::find_class(named({"b", "a"}), "a") == 1);
  CHECK(eval::find_class(named({"b", "a"}), "c") == 2);
  temp_folder dir;
  write_coded(dir.path / "a" / "0.png", 0);
  write_coded(dir.path / "b" / "0.png", 0);
  const data::folder_dataset set(dir.path);
  const auto samples = eval::relabel(set, named({"b", "x", "a"}), "model.yml");
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].path == dir.path / "a" / "0.png");
  CHECK(samples[0].label == 2);
  CHECK(samples[1].label == 0);
  CHECK_THROWS_WITH_AS(eval::relabel(set, named({"b", "x"}), "model.yml"),
                       ("class folder " + (dir.path / "a").string() + " is not a class of model.yml (b, x)").c_str(),
                       invalid_argument);
}

TEST_CASE("evaluate: the counts a test double gives, by hand; a file that cannot be used is listed") {
  temp_folder dir;
  // The model's classes are (b, a); each file codes the class the double calls it.
  write_coded(dir.path / "a" / "0.png", 1);  // right
  write_coded(dir.path / "a" / "1.png", 1);  // right
  write_coded(dir.path / "a" / "2.png", 0);  // a called b
  write_coded(dir.path / "b" / "0.png", 0);  // right
  write_coded(dir.path / "b" / "1.png", 1);  // b called a
  // A JPEG cut short: listed as an image, but it does not decode.
  cv::imwrite((dir.path / "a" / "3.jpg").string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar(9, 99, 199)));
  fs::resize_file(dir.path / "a" / "3.jpg", 300);
  coded_model model{named({"b", "a"})};
  const auto samples = eval::relabel(data::folder_dataset(dir.path), model.classes(), "the double");
  std::size_t progress = 0;
  eval::evaluate_options options;
  options.batch_size = 2;
  options.on_progress = [&](std::size_t n) { progress += n; };
  const eval::report r = eval::evaluate(model, samples, options);
  CHECK(r.classes == model.classes());
  CHECK(r.confusion(0, 0) == 1);  // b called b
  CHECK(r.confusion(0, 1) == 1);  // b called a
  CHECK(r.confusion(1, 0) == 1);  // a called b
  CHECK(r.confusion(1, 1) == 2);  // a called a
  CHECK(progress == 5);
  REQUIRE(r.skipped.size() == 1);
  CHECK(r.skipped[0].path == dir.path / "a" / "3.jpg");
  CHECK(r.seconds > 0);
  CHECK(r.per_second() == doctest::Approx(5 / r.seconds));
  // One prediction per file used, in sample order, with its truth and the called class's probability.
  REQUIRE(r.predictions.size() == 5);
  const std::vector<std::size_t> files = {0, 1, 2, 4, 5};  // sample 3 is the broken file
  const std::vector<std::size_t> called = {1, 1, 0, 0, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(r.predictions[i] == eval::prediction{files[i], samples[files[i]].label, called[i], 0.8f});
  }

  // Labels past the model's classes are refused.
  CHECK_THROWS_AS(eval::evaluate(model, std::vector<data::sample>{{samples[0].path, 2}}), invalid_argument);
}

TEST_CASE("evaluate: a real network agrees with calling it frame by frame") {
  using net = nn::network<nn::input<16, 16, 3>, nn::conv2d<4, 3>, nn::global_avg_pool, nn::dense<3>>;
  surface::classifier model(std::make_unique<net>(nn::network_options{.threads = 1, .init = nn::init_scheme::he, .seed = 3}),
                            surface::model_metadata{named({"p", "q", "r"}), image::roi_rule::full(), ""});
  temp_folder dir;
  cv::theRNG().state = 5;
  for (const char* c : {"p", "q", "r"})
    for (int i = 0; i < 7; ++i) {
      cv::Mat noise(24, 20, CV_8UC3);  // resized to 16x16 on the way in
      cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(256));
      fs::create_directories(dir.path / c);
      cv::imwrite((dir.path / c / (std::to_string(i) + ".png")).string(), noise);
    }
  const auto samples = eval::relabel(data::folder_dataset(dir.path), model.classes(), "net");
  eval::evaluate_options options;
  options.batch_size = 4;
  const eval::report r = eval::evaluate(model, samples, options);
  nn::confusion_matrix expected(3);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto p = model.predict(std::vector<cv::Mat>{cv::imread(samples[i].path.string())});
    std::size_t best = 0;
    for (std::size_t k = 1; k < 3; ++k)
      if (p(0, k) > p(0, best)) best = k;
    expected.add(samples[i].label, best);
    CHECK(r.predictions.at(i).predicted == best);
    CHECK(r.predictions.at(i).probability == doctest::Approx(p(0, best)));
  }
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t p = 0; p < 3; ++p) CHECK(r.confusion(t, p) == expected(t, p));
  CHECK(r.confusion.total() == 21);
}

TEST_CASE("evaluate: when no file can be used, the error says whose fault it is") {
  temp_folder dir;
  write_coded(dir.path / "a" / "0.png", 0);
  write_coded(dir.path / "a" / "1.png", 0);
  coded_model model{named({"a", "b"})};
  model.rule = image::roi_rule::rtk();  // rows [h/2 - 5, h - 50): nothing of an 8x8 frame
  const auto samples = eval::relabel(data::folder_dataset(dir.path), model.classes(), "m");
  CHECK_THROWS_WITH_AS(eval::evaluate(model, samples),
                       doctest::Contains("the model's ROI (rtk (rows [round(h*0.5)-5, h-50))) fits none of the 2 images ("),
                       invalid_argument);
  eval::evaluate_options options;
  options.roi = image::roi_rule::parse("0.5:0.52");  // rows [4, 4) of 8
  CHECK_THROWS_WITH_AS(eval::evaluate(model, samples, options), doctest::Contains("the ROI rule given (0.5:0.52,0:1) fits none"),
                       invalid_argument);
  options.roi = image::roi_rule::full();  // fits: the model's own rule is overridden
  CHECK(eval::evaluate(model, samples, options).confusion.total() == 2);

  std::ofstream(dir.path / "a" / "0.png") << "broken";
  std::ofstream(dir.path / "a" / "1.png") << "broken too";
  CHECK_THROWS_WITH_AS(eval::evaluate(model, samples, options), doctest::Contains("none of the 2 images could be used ("),
                       invalid_argument);
}

TEST_CASE("cascade: frames of the RTK layout labelled with outcomes; both right counted per frame") {
  const auto types = named({"asphalt", "paved", "unpaved"});
  coded_model type{types, 0}, asphalt{named({"01asphalt(Good)", "02asphalt(Regular)"}), 1},
      unpaved{named({"01unpaved(Regular)", "02unpaved(Bad)"}), 1};
  surface::basic_cascade<coded_model> cascade(type, {asphalt, std::nullopt, unpaved});
  // Outcomes: asphalt good 0, asphalt regular 1, paved 2, unpaved regular 3, unpaved bad 4.
  temp_folder dir;
  const fs::path a = dir.path / "training_data_asphalt_quality", p = dir.path / "training_data_paved_quality";
  write_coded(a / "01asphalt(Good)" / "0.png", 0, 0);     // asphalt good: both right
  write_coded(a / "01asphalt(Good)" / "1.png", 0, 1);     // asphalt regular: the type right, the quality wrong
  write_coded(a / "02asphalt(Regular)" / "0.png", 1, 1);  // paved: the type wrong
  write_coded(p / "01paved(Good)" / "0.png", 1, 2);       // paved, which has no quality model: right
  write_coded(p / "01paved(Good)" / "1.png", 2, 1);       // unpaved bad: the type wrong
  const eval::cascade_data data = eval::cascade_samples(cascade, dir.path);
  REQUIRE(data.missing.size() == 1);
  CHECK(data.missing[0].type == "unpaved");
  CHECK(data.missing[0].folder == dir.path / "training_data_unpaved_quality");
  REQUIRE(data.samples.size() == 5);
  std::vector<std::size_t> labels;
  for (const auto& s : data.samples) labels.push_back(s.label);
  CHECK(labels == std::vector<std::size_t>{0, 0, 1, 2, 2});

  std::size_t progress = 0;
  eval::evaluate_options options;
  options.batch_size = 3;
  options.on_progress = [&](std::size_t n) { progress += n; };
  const eval::cascade_report r = eval::evaluate_cascade(cascade, data.samples, options);
  CHECK(progress == 5);
  CHECK(r.outcome_classes == cascade.outcomes());
  CHECK(r.type_classes == types);
  CHECK(r.outcomes.total() == 5);
  CHECK(r.outcomes(0, 0) == 1);
  CHECK(r.outcomes(0, 1) == 1);
  CHECK(r.outcomes(1, 2) == 1);
  CHECK(r.outcomes(2, 2) == 1);
  CHECK(r.outcomes(2, 4) == 1);
  CHECK(r.outcomes.accuracy() == doctest::Approx(2.0 / 5));  // type and quality both right
  CHECK(r.types(0, 0) == 2);
  CHECK(r.types(0, 1) == 1);
  CHECK(r.types(1, 1) == 1);
  CHECK(r.types(1, 2) == 1);
  CHECK(r.types.accuracy() == doctest::Approx(3.0 / 5));
  CHECK(r.per_second() > 0);
  CHECK_THROWS_AS(eval::evaluate_cascade(cascade, std::vector<data::sample>{{data.samples[0].path, 5}}), invalid_argument);

  // A quality folder the quality model does not know, and a root without the layout, are errors.
  write_coded(a / "03asphalt(Bad)" / "0.png", 0, 0);
  CHECK_THROWS_WITH_AS(eval::cascade_samples(cascade, dir.path),
                       ("class folder " + (a / "03asphalt(Bad)").string() +
                        " is not a class of the quality model of asphalt (01asphalt(Good), 02asphalt(Regular))")
                           .c_str(),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(eval::cascade_samples(cascade, dir.path / "a"),
                       doctest::Contains("has no training_data_<type>_quality folder of the cascade's types"), invalid_argument);
}

TEST_CASE("mistakes_sheet: the wrong predictions, first `most` of them, with the ROI outlined in yellow") {
  temp_folder dir;
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < 6; ++i) {
    samples.push_back({dir.path / "a" / (std::to_string(i) + ".png"), 0});
    fs::create_directories(samples.back().path.parent_path());
    cv::imwrite(samples.back().path.string(), cv::Mat(300, 400, CV_8UC3, cv::Scalar(90, 90, 90)));
  }
  // Samples 1, 2, 4 and 5 are called wrong.
  std::vector<eval::prediction> predictions;
  for (std::size_t i = 0; i < 6; ++i) predictions.push_back({i, 0, i % 3 == 0 ? 0u : 1u, 0.6f});
  const auto classes = named({"a", "b"});
  const cv::Size cell(320 + 6, 240 + 2 * 18 + 6 + 6);  // a thumbnail and its gap (see image::contact_sheet)
  const cv::Mat all = eval::mistakes_sheet(predictions, samples, classes, image::roi_rule::parse("0.5:1"));
  CHECK(all.size() == cv::Size(4 * cell.width + 6, 32 + cell.height + 6));
  const cv::Mat first_two = eval::mistakes_sheet(predictions, samples, classes, image::roi_rule::full(), 2);
  CHECK(first_two.size() == cv::Size(2 * cell.width + 6, 32 + cell.height + 6));
  // The ROI (the bottom half of each frame) is outlined in yellow (blended a little by the
  // downscaling); the rest of the frame is grey.
  std::size_t yellow = 0;
  for (auto it = all.begin<cv::Vec3b>(); it != all.end<cv::Vec3b>(); ++it) yellow += (*it)[0] < 100 && (*it)[1] > 150 && (*it)[2] > 150;
  CHECK(yellow > 4 * 500);
  CHECK(all.at<cv::Vec3b>(32 + 60, 6 + 160) == cv::Vec3b(90, 90, 90));
  CHECK(eval::mistakes_sheet({predictions[0], predictions[3]}, samples, classes, image::roi_rule::full()).size() ==
        cv::Size(320 + 12, 32 + 6));  // nothing wrong: the title alone
}
