// The confusion matrix and the figures read off it, against hand-computed values.
#include <doctest/doctest.h>

#include <cmath>

#include <tarmac/nn/metrics.hpp>

using tarmac::nn::confusion_matrix;

TEST_CASE("confusion matrix: accuracy, balanced accuracy, precision, recall, F1") {
  confusion_matrix m(3);
  // truth asphalt: 8 right, 2 called paved; paved: 3 right, 3 called asphalt; unpaved: 4 right, 1 called paved.
  m.add(0, 0, 8);
  m.add(0, 1, 2);
  m.add(1, 1, 3);
  m.add(1, 0, 3);
  m.add(2, 2, 4);
  m.add(2, 1);
  CHECK(m.total() == 21);
  CHECK(m(0, 1) == 2);
  CHECK(m.support(1) == 6);
  CHECK(m.predicted(1) == 6);
  CHECK(m.accuracy() == doctest::Approx(15.0 / 21));
  CHECK(m.recall(0) == doctest::Approx(0.8));
  CHECK(m.recall(1) == doctest::Approx(0.5));
  CHECK(m.recall(2) == doctest::Approx(0.8));
  CHECK(m.balanced_accuracy() == doctest::Approx((0.8 + 0.5 + 0.8) / 3));
  CHECK(m.precision(0) == doctest::Approx(8.0 / 11));
  CHECK(m.precision(1) == doctest::Approx(3.0 / 6));
  CHECK(m.precision(2) == doctest::Approx(1.0));
  CHECK(m.f1(0) == doctest::Approx(2 * (8.0 / 11) * 0.8 / (8.0 / 11 + 0.8)));

  confusion_matrix twice = m;
  twice += m;
  CHECK(twice.total() == 42);
  CHECK(twice.accuracy() == doctest::Approx(m.accuracy()));
  twice.clear();
  CHECK(twice.total() == 0);
}

TEST_CASE("confusion matrix: undefined figures are NaN, absent classes leave the balanced mean") {
  confusion_matrix m(3);
  CHECK(std::isnan(m.accuracy()));
  CHECK(std::isnan(m.balanced_accuracy()));
  m.add(0, 0, 5);
  m.add(1, 0, 5);  // class 1 never predicted, class 2 has no examples
  CHECK(std::isnan(m.precision(1)));
  CHECK(std::isnan(m.recall(2)));
  CHECK(std::isnan(m.f1(1)));
  CHECK(m.f1(0) == doctest::Approx(2 * 0.5 / 1.5));
  CHECK(m.recall(1) == 0.0);
  CHECK(m.balanced_accuracy() == doctest::Approx(0.5));  // (1 + 0) / 2: class 2 is not counted
}

TEST_CASE("confusion matrix: classes out of range and mismatched sizes are invalid_argument") {
  confusion_matrix m(2);
  CHECK_THROWS_AS(m.add(2, 0), tarmac::invalid_argument);
  CHECK_THROWS_AS(m.add(0, 5), tarmac::invalid_argument);
  CHECK_THROWS_AS(m += confusion_matrix(3), tarmac::invalid_argument);
}
