#include <doctest/doctest.h>

#include <tarmac/core/numpy_random.hpp>

// Expected values were computed once with NumPy 1.24 (np.random.RandomState).
TEST_CASE("numpy_random_state reproduces RandomState.randint and random_sample") {
  tarmac::numpy_random_state rng(12345);
  // rs.randint(0, 10, 5), rs.randint(-3, 1000000, 3), rs.random_sample()
  for (std::int64_t expected : {2, 5, 1, 4, 9}) CHECK(rng.randint(0, 10) == expected);
  for (std::int64_t expected : {921595, 86395, 421218}) CHECK(rng.randint(-3, 1000000) == expected);
  CHECK(rng.random_sample() == 0.5320779204036645);
}

TEST_CASE("numpy_random_state rejects an empty range and handles a single value") {
  tarmac::numpy_random_state rng(1);
  CHECK_THROWS_AS(rng.randint(5, 5), tarmac::invalid_argument);
  CHECK(rng.randint(7, 8) == 7);
}
