#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include <tarmac/train/report.hpp>

namespace train = tarmac::train;
namespace fs = std::filesystem;

namespace {
std::vector<train::epoch_record> two_epochs() {
  return {{1, 1.0, 0.5, 0.5, 0.75, 0.625, 1.25, 0, {}}, {2, 0.5, 0.8, 0.25, 1.0, 1.0, 0.0625, 0, {}}};
}
}  // namespace

TEST_CASE("log_csv: a header and a row per epoch, written atomically by write_log") {
  const std::string expected =
      "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,validation_balanced_accuracy,seconds\n"
      "1,1.000000,0.500000,0.500000,0.750000,0.625000,1.250\n"
      "2,0.500000,0.800000,0.250000,1.000000,1.000000,0.062\n";
  CHECK(train::log_csv(two_epochs()) == expected);
  CHECK(train::log_csv({}) == expected.substr(0, expected.find('\n') + 1));
  const fs::path path = fs::temp_directory_path() / "tarmac_test_train_log.csv";
  train::write_log(path, two_epochs());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == expected);
}

TEST_CASE("label_column_width: the longest label and a space, at least 9") {
  CHECK(train::label_column_width({}) == 9);
  CHECK(train::label_column_width({{"a", "short"}, {"b", "eight ch"}}) == 9);
  CHECK(train::label_column_width({{"a", "nine char"}, {"b", "x"}}) == 10);
  CHECK(train::label_column_width({{"a", "x"}, {"b", "a longer label"}}) == 15);
}

TEST_CASE("confusion_text: a title, then one row per true class, columns as wide as the longest label") {
  tarmac::nn::confusion_matrix m(2);
  m.add(0, 0, 12);
  m.add(0, 1, 3);
  m.add(1, 1, 7);
  // The width is 9, or the longest label and one.
  const std::string wide = "Confusion matrix (rows: true class, columns: predicted)\n"
                           "                          a  a long label\n"
                           "            a            12             3\n"
                           " a long label             0             7\n";
  CHECK(train::confusion_text({{"a", "a"}, {"long", "a long label"}}, m) == wide);
  CHECK(train::confusion_text({{"x", "x"}, {"y", "y"}}, m) == "Confusion matrix (rows: true class, columns: predicted)\n"
                                                             "                  x         y\n"
                                                             "        x        12         3\n"
                                                             "        y         0         7\n");
  CHECK_THROWS_AS(train::confusion_text({{"x", "x"}}, m), tarmac::invalid_argument);
}

TEST_CASE("learning_curves: loss and accuracy panels with each epoch's points, written as a PNG") {
  const cv::Mat image = train::learning_curves(two_epochs());
  CHECK(image.cols == 1152);
  CHECK(image.rows == 416);
  CHECK(image.type() == CV_8UC3);
  // Loss panel: epoch 1's training loss 1.0 of a 1.05 scale at the left edge, in blue; its
  // validation loss 0.5 in orange. Accuracy panel: epoch 2's validation accuracy 1.0 at the top right.
  CHECK(image.at<cv::Vec3b>(368 - int(1.0 / 1.05 * 320), 48) == cv::Vec3b(200, 90, 30));
  CHECK(image.at<cv::Vec3b>(368 - int(0.5 / 1.05 * 320), 48) == cv::Vec3b(20, 130, 250));
  CHECK(image.at<cv::Vec3b>(48, 576 + 48 + 480) == cv::Vec3b(20, 130, 250));
  CHECK(image.at<cv::Vec3b>(200, 300) == cv::Vec3b(255, 255, 255));  // away from lines and labels
  const fs::path path = fs::temp_directory_path() / "tarmac_test_train_curves.png";
  train::write_learning_curves(path, two_epochs());
  const cv::Mat read = cv::imread(path.string());
  REQUIRE(!read.empty());
  CHECK(cv::norm(read, image, cv::NORM_INF) == 0);
}
