// The taxonomy table, run-time classifiers loaded from model files, the cascade (grouping by
// type, one quality-model call per type and batch, smoothing) and cascade.yml with its errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include <tarmac/surface/synthetic.hpp>
#include <tarmac/nn.hpp>
#include <tarmac/surface.hpp>

#include "../temp_folder.hpp"

namespace fs = std::filesystem;
using namespace tarmac;

namespace {

// A test double: the class of each row is written in the row's first pixel (channel `channel`,
// as class / 10), and every call records its batch size.
struct coded_model {
  std::vector<class_info> names;
  std::size_t channel = 0;
  std::shared_ptr<std::vector<std::size_t>> calls = std::make_shared<std::vector<std::size_t>>();

  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
    calls->push_back(inputs.shape()[0]);
    const std::size_t k = names.size(), row = inputs.shape()[1] * inputs.shape()[2] * inputs.shape()[3];
    xt::xtensor<float, 2> p = xt::zeros<float>({inputs.shape()[0], k});
    for (std::size_t i = 0; i < inputs.shape()[0]; ++i) {
      const auto code = std::size_t(std::lround(inputs.data()[i * row + channel] * 10)) % k;
      for (std::size_t c = 0; c < k; ++c) p(i, c) = c == code ? 0.7f : 0.3f / float(k - 1);
    }
    return p;
  }
  const std::vector<class_info>& classes() const { return names; }
  const image::roi_rule& roi() const { return rule; }
  image::input_size input() const { return {2, 2}; }
  image::roi_rule rule{};
};

xt::xtensor<float, 4> coded_inputs(const std::vector<std::pair<std::size_t, std::size_t>>& type_quality) {
  xt::xtensor<float, 4> x = xt::zeros<float>({type_quality.size() + 1, std::size_t(2), std::size_t(2), std::size_t(3)});
  for (std::size_t i = 0; i < type_quality.size(); ++i) {
    x(i, 0, 0, 0) = float(type_quality[i].first) / 10;
    x(i, 0, 0, 1) = float(type_quality[i].second) / 10;
  }
  return x;  // one extra row past `count`, which must be ignored
}

using gap3 = nn::gap_net<3>;
using gap2 = nn::gap_net<2>;

template <class Net>
fs::path save_random(const fs::path& path, std::vector<class_info> classes, std::uint64_t seed) {
  Net net({.threads = 1, .init = nn::init_scheme::he, .seed = seed});
  surface::save_model(path, net, {std::move(classes), {}, "random"});
  return path;
}

std::vector<class_info> types() { return named({"asphalt", "paved", "unpaved"}); }
std::vector<class_info> asphalt_qualities() { return named({"01asphalt(Good)", "02asphalt(Regular)", "03asphalt(Bad)"}); }
std::vector<class_info> unpaved_qualities() { return named({"01unpaved(Regular)", "02unpaved(Bad)"}); }

std::vector<std::string> ids(const std::vector<class_info>& classes) {
  std::vector<std::string> out;
  for (const auto& c : classes) out.push_back(c.id);
  return out;
}

// A cascade of random models in dir: asphalt and unpaved have quality models, paved has none.
fs::path write_cascade(const fs::path& dir) {
  save_random<gap3>(dir / "type.yml.gz", types(), 1);
  save_random<gap3>(dir / "asphalt.yml", asphalt_qualities(), 2);
  save_random<gap2>(dir / "unpaved.json", unpaved_qualities(), 3);
  surface::cascade_description d{{"", "type.yml.gz", ids(types())},
                                 {{"asphalt", "asphalt.yml", ids(asphalt_qualities())},
                                  {"unpaved", "unpaved.json", ids(unpaved_qualities())}}};
  surface::write_cascade_file(dir / "cascade.yml", d);
  return dir / "cascade.yml";
}

}  // namespace

TEST_CASE("taxonomy: RTK names, folder names and BGR colours in one table") {
  using namespace tarmac::surface;
  CHECK(name(road_type::paved) == "paved");
  CHECK(name(road_quality::regular) == "regular");
  CHECK(colour(road_type::asphalt) == cv::Scalar(0, 0, 0));
  CHECK(colour(road_type::paved) == cv::Scalar(153, 102, 102));
  CHECK(colour(road_type::unpaved) == cv::Scalar(0, 153, 255));
  CHECK(colour(road_quality::good) == cv::Scalar(0, 255, 0));
  CHECK(colour(road_quality::regular) == cv::Scalar(0, 204, 255));
  CHECK(colour(road_quality::bad) == cv::Scalar(0, 0, 255));
  CHECK(quality_folder(road_type::asphalt, road_quality::good) == "01asphalt(Good)");
  CHECK(quality_folder(road_type::unpaved, road_quality::regular) == "01unpaved(Regular)");
  CHECK(quality_folder(road_type::unpaved, road_quality::bad) == "02unpaved(Bad)");
  CHECK(quality_root(road_type::paved) == "training_data_paved_quality");
  CHECK(quality_root("gravel") == "training_data_gravel_quality");
  CHECK(type_root == "training_data_type");
  CHECK(quality_root_type("training_data_gravel_quality") == "gravel");
  CHECK(quality_root_type(quality_root(road_type::asphalt)) == "asphalt");
  CHECK_FALSE(quality_root_type("training_data_type").has_value());
  CHECK_FALSE(quality_root_type("training_data__quality").has_value());
  CHECK_FALSE(quality_root_type("gravel_quality").has_value());
  CHECK_FALSE(has_quality(road_type::unpaved, road_quality::good));
  CHECK(has_quality(road_type::paved, road_quality::good));

  // Classes are recognised by folder id or display label, in any case.
  CHECK(type_of({"asphalt", "asphalt"}) == road_type::asphalt);
  CHECK(type_of({"x", "Unpaved"}) == road_type::unpaved);
  CHECK_FALSE(type_of({"gravel", "gravel"}).has_value());
  CHECK(quality_of({"02paved(Regular)", "paved (regular)"}) == road_quality::regular);
  CHECK(quality_of({"q", "bad"}) == road_quality::bad);
  CHECK_FALSE(quality_of({"(good", "good)"}).has_value());
  CHECK(quality_colour({"03asphalt(Bad)", ""}) == cv::Scalar(0, 0, 255));
  CHECK(type_colour({"snow", "snow"}) == surface::unknown_colour);
}

TEST_CASE("drive truth: written and read back; damaged files and bad labels are clear errors") {
  using namespace tarmac::surface;
  temp_folder dir;
  const fs::path path = dir.path / "truth.csv";
  const drive_truth rows = {{0, {"asphalt", "good"}}, {1, {"asphalt", "good"}}, {7, {"unpaved", "bad"}}, {8, {"gravel", ""}}};
  write_truth(path, rows);
  CHECK(read_truth(path) == rows);

  write_file(path, "frame,type,quality\r\n3,paved,regular\r\n\n");  // Windows line ends and a blank line
  CHECK(read_truth(path) == drive_truth{{3, {"paved", "regular"}}});
  for (const char* bad : {"frame,type\n", "", "frame,type,quality\nx,paved,good\n", "frame,type,quality\n2,,good\n",
                                 "frame,type,quality\n2,paved,good\n2,paved,bad\n"}) {
    write_file(path, bad);
    CHECK_THROWS_AS(read_truth(path), format_error);
  }
  write_file(path, "frame,type,quality\n2,paved,good\n2,paved,bad\n");
  CHECK_THROWS_WITH(read_truth(path), doctest::Contains("line 3 repeats frame 2"));
  CHECK_THROWS_AS(read_truth(dir.path / "missing.csv"), io_error);

  write_file(path, "old");
  CHECK_THROWS_WITH(write_truth(path, {{0, {"a,b", "good"}}}), doctest::Contains("frame 0 has a label with a comma"));
  CHECK_THROWS_AS(write_truth(path, {{0, {"", "good"}}}), invalid_argument);
  std::ifstream in(path);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "old");  // a refused write keeps the old file
}

TEST_CASE("classifier: a model file loads into the compiled network it describes and predicts as that network") {
  temp_folder dir;
  save_random<gap3>(dir.path / "three.yml", types(), 5);
  save_random<gap2>(dir.path / "two.json.gz", unpaved_qualities(), 6);
  surface::classifier three = surface::load_classifier(dir.path / "three.yml", 1);
  surface::classifier two = surface::load_classifier(dir.path / "two.json.gz", 1);
  CHECK(three.classes() == types());
  CHECK(two.classes() == unpaved_qualities());
  CHECK(three.architecture().find("global_avg_pool dense<3>") != std::string::npos);
  CHECK(two.input().width == 128);

  const cv::Mat frame = surface::render_road_frame(surface::road_type::paved, surface::road_quality::bad, 11);
  gap3 reference({.threads = 1, .init = nn::init_scheme::he, .seed = 5});
  const auto expected = reference.predict(xt::xtensor<float, 4>(xt::expand_dims(image::to_tensor(image::crop_roi(frame)), 0)));
  const auto got = three.predict(std::vector<cv::Mat>{frame});
  REQUIRE(got.shape()[1] == 3);
  for (std::size_t k = 0; k < 3; ++k) CHECK(got(0, k) == expected(0, k));
  CHECK_THROWS_AS(three.predict(std::vector<cv::Mat>{}), invalid_argument);
}

TEST_CASE("classifier: unknown architectures, missing and damaged files are clear errors") {
  temp_folder dir;
  using odd = nn::network<nn::input<16, 16, 3>, nn::conv2d<4, 3>, nn::global_avg_pool, nn::dense<3>>;
  save_random<odd>(dir.path / "odd.yml", types(), 1);
  CHECK_THROWS_WITH_AS(surface::load_classifier(dir.path / "odd.yml"),
                       doctest::Contains("is none of the networks this build knows"), format_error);
  // The same file loads when the loader is told about that network.
  CHECK(surface::load_classifier<surface::network_list<gap2, odd>>(dir.path / "odd.yml", 1).classes() == types());
  CHECK_THROWS_WITH_AS(surface::load_classifier(dir.path / "missing.yml"), doctest::Contains("missing.yml"), io_error);
  save_random<gap3>(dir.path / "cut.yml", types(), 1);
  fs::resize_file(dir.path / "cut.yml", fs::file_size(dir.path / "cut.yml") / 2);
  CHECK_THROWS_WITH_AS(surface::load_classifier(dir.path / "cut.yml"), doctest::Contains("cut.yml"), format_error);
}

TEST_CASE("top_class: the highest probability; the lower index wins a tie, NaN never wins") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(surface::top_class(std::vector<float>{0.2f, 0.5f, 0.3f}) == 1);
  CHECK(surface::top_class(std::vector<float>{0.1f, 0.45f, 0.45f}) == 1);
  CHECK(surface::top_class(std::vector<float>{nan, 0.1f}) == 1);
  CHECK(surface::top_class(std::vector<float>{0.3f, nan, 0.2f}) == 0);
  CHECK(surface::top_class(std::vector<float>{0.7f}) == 0);
}

TEST_CASE("cascade: the type picks the quality model; each quality model runs once per batch on its rows") {
  coded_model type{types(), 0}, asphalt{asphalt_qualities(), 1}, unpaved{unpaved_qualities(), 1};
  const auto type_calls = type.calls, asphalt_calls = asphalt.calls, unpaved_calls = unpaved.calls;
  surface::basic_cascade<coded_model> cascade(type, {asphalt, std::nullopt, unpaved});
  // (type, quality) per frame; paved has no quality model.
  const std::vector<std::pair<std::size_t, std::size_t>> truth{{0, 2}, {2, 1}, {1, 0}, {0, 0}, {2, 0}, {0, 1}};
  const auto results = cascade.classify(coded_inputs(truth), truth.size());
  REQUIRE(results.size() == truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    INFO("frame " << i);
    const auto& r = results[i];
    CHECK(r.type == truth[i].first);
    CHECK(r.type_class == types()[truth[i].first]);
    CHECK(r.type_probability == doctest::Approx(0.7));
    CHECK(r.type_probabilities.size() == 3);
    CHECK(std::accumulate(r.type_probabilities.begin(), r.type_probabilities.end(), 0.0f) == doctest::Approx(1.0));
    if (truth[i].first == 1) {
      CHECK_FALSE(r.quality.has_value());
      CHECK(r.quality_probabilities.empty());
    } else {
      REQUIRE(r.quality.has_value());
      CHECK(*r.quality == truth[i].second);
      CHECK(r.quality_class == (truth[i].first == 0 ? asphalt_qualities() : unpaved_qualities())[truth[i].second]);
      CHECK(r.quality_probability == doctest::Approx(0.7));
    }
  }
  CHECK(*type_calls == std::vector<std::size_t>{6});     // the extra row is not classified
  CHECK(*asphalt_calls == std::vector<std::size_t>{3});  // frames 0, 3, 5 together
  CHECK(*unpaved_calls == std::vector<std::size_t>{2});
  // A batch with no unpaved frame does not run the unpaved model at all.
  cascade.classify(coded_inputs({{0, 0}}), 1);
  CHECK(unpaved_calls->size() == 1);
}

TEST_CASE("cascade: bad construction and bad counts are invalid_argument") {
  coded_model type{types(), 0}, quality{asphalt_qualities(), 1};
  using cascade = surface::basic_cascade<coded_model>;
  CHECK_THROWS_WITH_AS(cascade(type, {quality, std::nullopt}), doctest::Contains("2 quality slots for a type model with 3"),
                       invalid_argument);
  coded_model other_roi = quality;
  other_roi.rule.bottom_margin = 10;
  CHECK_THROWS_WITH_AS(cascade(type, {other_roi, std::nullopt, std::nullopt}), doctest::Contains("quality model of asphalt"),
                       invalid_argument);
  cascade c(type, {quality, std::nullopt, std::nullopt});
  CHECK_THROWS_AS(c.classify(coded_inputs({{0, 0}}), 0), invalid_argument);
  CHECK_THROWS_AS(c.classify(coded_inputs({{0, 0}}), 3), invalid_argument);
  CHECK_THROWS_AS(c.classify(std::vector<cv::Mat>{}), invalid_argument);
}

TEST_CASE("probability_smoother: exponential moving average per slot") {
  surface::probability_smoother s(0.6);
  std::vector<float> a{1, 0}, b{0, 1}, c{0, 1};
  s.apply(0, a);  // the first frame passes through
  CHECK(a == std::vector<float>{1, 0});
  s.apply(0, b);
  CHECK(b[0] == doctest::Approx(0.6));
  CHECK(b[1] == doctest::Approx(0.4));
  s.apply(0, c);
  CHECK(c[0] == doctest::Approx(0.36));
  std::vector<float> other{0.2f, 0.8f};
  s.apply(3, other);  // another slot has its own state
  CHECK(other[0] == doctest::Approx(0.2));
  surface::probability_smoother off(0);
  std::vector<float> d{0.5f, 0.5f}, e{0.1f, 0.9f};
  off.apply(0, d);
  off.apply(0, e);
  CHECK(e[1] == doctest::Approx(0.9));
  CHECK_THROWS_AS(surface::probability_smoother(1.0), invalid_argument);
  CHECK_THROWS_AS(surface::probability_smoother(-0.1), invalid_argument);

  // Through a cascade: a one-frame flip to unpaved is smoothed away.
  coded_model type{types(), 0};
  surface::basic_cascade<coded_model> cascade(type, {std::nullopt, std::nullopt, std::nullopt});
  surface::probability_smoother smooth(0.6);
  const auto r = cascade.classify(coded_inputs({{0, 0}, {0, 0}, {2, 0}, {0, 0}}), 4, &smooth);
  CHECK(r[2].type == 0);
  CHECK(cascade.classify(coded_inputs({{0, 0}, {0, 0}, {2, 0}, {0, 0}}), 4)[2].type == 2);
}

TEST_CASE("cascade.yml: written, read back, loaded; a frame through the cascade gives a valid result") {
  temp_folder dir;
  const fs::path file = write_cascade(dir.path);
  const surface::cascade_description d = surface::read_cascade_file(file);
  CHECK(d.type_model.model == dir.path / "type.yml.gz");
  REQUIRE(d.quality_models.size() == 2);
  CHECK(d.quality_models[1].type == "unpaved");
  CHECK(d.quality_models[1].classes == ids(unpaved_qualities()));

  surface::cascade cascade = surface::load_cascade(file, 1);
  CHECK(cascade.types() == 3);
  CHECK(cascade.quality_model(1) == nullptr);
  REQUIRE(cascade.quality_model(2) != nullptr);
  CHECK(cascade.quality_model(2)->classes() == unpaved_qualities());

  std::vector<cv::Mat> frames;
  for (std::uint64_t seed = 0; seed < 5; ++seed)
    frames.push_back(surface::render_road_frame(surface::road_types[seed % 3], surface::road_quality::bad, seed));
  const auto results = cascade.classify(frames);
  surface::classifier type = surface::load_classifier(dir.path / "type.yml.gz", 1);
  const auto p = type.predict(frames);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto& r = results[i];
    for (std::size_t k = 0; k < 3; ++k) CHECK(r.type_probabilities[k] == p(i, k));
    CHECK(r.type_probability == *std::max_element(r.type_probabilities.begin(), r.type_probabilities.end()));
    CHECK(r.quality.has_value() == (r.type != 1));
    if (r.quality) {
      const auto& q = *cascade.quality_model(r.type);
      CHECK(r.quality_probabilities.size() == q.classes().size());
      CHECK(r.quality_class == q.classes()[*r.quality]);
      CHECK(std::accumulate(r.quality_probabilities.begin(), r.quality_probabilities.end(), 0.0f) == doctest::Approx(1.0));
    }
  }
}

TEST_CASE("load_cascade: the models share one pool of the threads asked for") {
  temp_folder dir;
  const fs::path file = write_cascade(dir.path);
  const auto threads_now = [] {
    return std::distance(fs::directory_iterator("/proc/self/task"), fs::directory_iterator());
  };
  const auto before = threads_now();
  {
    surface::cascade cascade = surface::load_cascade(file, 4);
    CHECK(threads_now() - before == 3);  // one pool: the caller and 3 workers, not 3 for each of 3 models
    CHECK(cascade.type_model().threads() == 4);
    CHECK(cascade.quality_model(2)->threads() == 4);
  }
  CHECK(threads_now() == before);
}

TEST_CASE("cascade.yml: missing or mismatched model files and damaged cascade files are errors naming them") {
  temp_folder dir;
  const fs::path file = write_cascade(dir.path);
  CHECK_THROWS_WITH_AS(surface::load_cascade(dir.path / "none.yml"), doctest::Contains("none.yml"), io_error);

  fs::rename(dir.path / "unpaved.json", dir.path / "moved.json");
  CHECK_THROWS_WITH_AS(surface::load_cascade(file), doctest::Contains("unpaved.json does not exist"), io_error);
  // With several files wrong, the first in cascade.yml is the one named.
  fs::rename(dir.path / "asphalt.yml", dir.path / "asphalt-moved.yml");
  const std::string asphalt_missing = "the quality model of asphalt " + (dir.path / "asphalt.yml").string() + " does not exist";
  CHECK_THROWS_WITH_AS(surface::load_cascade(file), doctest::Contains(asphalt_missing.c_str()), io_error);
  write_file(dir.path / "type.yml.gz", "damaged");
  CHECK_THROWS_WITH_AS(surface::load_cascade(file), doctest::Contains("type.yml.gz"), tarmac::error);
  save_random<gap3>(dir.path / "type.yml.gz", types(), 1);
  fs::rename(dir.path / "asphalt-moved.yml", dir.path / "asphalt.yml");
  // A model of another class count where the unpaved quality model should be.
  save_random<gap3>(dir.path / "unpaved.json", asphalt_qualities(), 4);
  CHECK_THROWS_WITH_AS(surface::load_cascade(file),
                       doctest::Contains("unpaved.json has classes [01asphalt(Good), 02asphalt(Regular), 03asphalt(Bad)], "
                                         "cascade.yml expects [01unpaved(Regular), 02unpaved(Bad)]"),
                       format_error);
  fs::rename(dir.path / "moved.json", dir.path / "unpaved.json");

  surface::cascade_description d = surface::read_cascade_file(file);
  d.type_model.model = "type.yml.gz";
  d.quality_models[0].model = "asphalt.yml";
  d.quality_models[1] = {"gravel", "unpaved.json", ids(unpaved_qualities())};
  surface::write_cascade_file(dir.path / "gravel.yml", d);
  CHECK_THROWS_WITH_AS(surface::load_cascade(dir.path / "gravel.yml"), doctest::Contains("type 'gravel'"), format_error);
  d.quality_models[1] = d.quality_models[0];
  surface::write_cascade_file(dir.path / "twice.yml", d);
  CHECK_THROWS_WITH_AS(surface::load_cascade(dir.path / "twice.yml"), doctest::Contains("two quality models for type 'asphalt'"),
                       format_error);

  write_file(dir.path / "cut.yml", "%YAML:1.0\n---\nformat: tarmac-cascade\nversion: 1\ntype_model:\n   model: \"type.yml.gz\"\n   classes: [ asph");
  CHECK_THROWS_WITH_AS(surface::read_cascade_file(dir.path / "cut.yml"), doctest::Contains("cascade file"), format_error);
  CHECK_THROWS_WITH_AS(surface::read_cascade_file(dir.path / "type.yml.gz"), doctest::Contains("not a tarmac cascade file"),
                       format_error);
  write_file(dir.path / "v2.yml", "%YAML:1.0\n---\nformat: tarmac-cascade\nversion: 2\n");
  CHECK_THROWS_WITH_AS(surface::read_cascade_file(dir.path / "v2.yml"), doctest::Contains("version 1"), format_error);
  write_file(dir.path / "nomodel.yml", "%YAML:1.0\n---\nformat: tarmac-cascade\nversion: 1\ntype_model:\n   classes: [ a, b ]\nquality_models: []\n");
  CHECK_THROWS_WITH_AS(surface::read_cascade_file(dir.path / "nomodel.yml"), doctest::Contains("type model names no 'model'"),
                       format_error);
}
