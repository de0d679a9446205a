// The JSON writer: exact text for every kind of value, escaping, bytes that are not UTF-8,
// numbers that JSON cannot hold, nesting and key order.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <tarmac/core/json.hpp>

using namespace tarmac;

TEST_CASE("json: scalars") {
  CHECK(json::value().dump() == "null");
  CHECK(json::value(nullptr).dump() == "null");
  CHECK(json::value(true).dump() == "true");
  CHECK(json::value(false).dump() == "false");
  CHECK(json::value(0).dump() == "0");
  CHECK(json::value(-42).dump() == "-42");
  CHECK(json::value(std::numeric_limits<std::int64_t>::min()).dump() == "-9223372036854775808");
  CHECK(json::value(std::numeric_limits<std::uint64_t>::max()).dump() == "18446744073709551615");
  CHECK(json::value(std::size_t{30}).dump() == "30");
  CHECK(json::value("").dump() == "\"\"");
  CHECK(json::value(std::string("road")).dump() == "\"road\"");
  CHECK(json::value(std::string_view("view")).dump() == "\"view\"");
}

TEST_CASE("json: doubles in the shortest form that reads back the same") {
  CHECK(json::value(0.5).dump() == "0.5");
  CHECK(json::value(0.1).dump() == "0.1");
  CHECK(json::value(1.0 / 3).dump() == "0.3333333333333333");
  CHECK(json::value(2.0).dump() == "2");
  CHECK(json::value(-0.0).dump() == "-0");
  CHECK(json::value(1e-7).dump() == "1e-07");
  CHECK(json::value(1.5e300).dump() == "1.5e+300");
  CHECK(json::value(0.25f).dump() == "0.25");
}

TEST_CASE("json: NaN and the infinities, which JSON cannot hold, are null") {
  CHECK(json::value(std::numeric_limits<double>::quiet_NaN()).dump() == "null");
  CHECK(json::value(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(json::value(-std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(json::value(std::numeric_limits<float>::quiet_NaN()).dump() == "null");
  CHECK(json::value(json::array{1.0, std::numeric_limits<double>::quiet_NaN()}).dump() == "[1, null]");
}

TEST_CASE("json: strings are escaped") {
  CHECK(json::value("say \"hi\"").dump() == R"("say \"hi\"")");
  CHECK(json::value("C:\\roads").dump() == R"("C:\\roads")");
  CHECK(json::value("a\nb\tc\rd").dump() == R"("a\nb\tc\rd")");
  CHECK(json::value(std::string("\x01\x1f\b\f", 4)).dump() == R"("\u0001\u001f\u0008\u000c")");
  CHECK(json::value(std::string("nul\0byte", 8)).dump() == R"("nul\u0000byte")");
  CHECK(json::value("/ and \x7f stay").dump() == "\"/ and \x7f stay\"");
}

TEST_CASE("json: UTF-8 passes through; bytes that are not UTF-8 become U+FFFD") {
  CHECK(json::value("01asphalt(Bueno) é ü ñ").dump() == "\"01asphalt(Bueno) é ü ñ\"");
  CHECK(json::value("\xe2\x82\xac \xf0\x9f\x9a\x97").dump() == "\"\xe2\x82\xac \xf0\x9f\x9a\x97\"");  // euro sign, a car
  CHECK(json::value("a\xff" "b").dump() == R"("a\ufffdb")");
  CHECK(json::value("\xc0\xaf").dump() == R"("\ufffd\ufffd")");            // an overlong '/'
  CHECK(json::value("\xed\xa0\x80").dump() == R"("\ufffd\ufffd\ufffd")");  // a surrogate
  CHECK(json::value("\xf4\x90\x80\x80").dump() == R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  CHECK(json::value("cut \xe2\x82").dump() == R"("cut \ufffd\ufffd")");     // a sequence cut short
  CHECK(json::value("\xe2\x82" "A").dump() == R"("\ufffd\ufffdA")");
}

TEST_CASE("json: arrays and objects nest; keys keep their order and are escaped") {
  CHECK(json::value(json::array{}).dump() == "[]");
  CHECK(json::value(json::object{}).dump() == "{}");
  const json::value v = json::object{{"n", 3},
                                     {"b", json::array{true, nullptr, 2.5, "x"}},
                                     {"a", json::object{{"inner", json::array{json::array{1, 2}, json::object{}}}}},
                                     {"key \"q\"", -1}};
  CHECK(v.dump() == R"({"n": 3, "b": [true, null, 2.5, "x"], "a": {"inner": [[1, 2], {}]}, "key \"q\"": -1})");
}

TEST_CASE("json: an object with a key twice is refused") {
  const json::value v = json::array{json::object{{"a", 1}, {"b", 2}, {"a", 3}}};
  CHECK_THROWS_WITH_AS(v.dump(), "json: the key \"a\" appears twice in one object", invalid_argument);
  CHECK(json::value(json::array{json::object{{"a", 1}}, json::object{{"a", 2}}}).dump() == R"([{"a": 1}, {"a": 2}])");
}

TEST_CASE("json: get_if gives the held value of that type, to read or to add to") {
  json::value v = json::object{{"a", 1}};
  CHECK(v.get_if<json::array>() == nullptr);
  CHECK(json::value(2.5).get_if<std::int64_t>() == nullptr);
  CHECK(*json::value(2.5).get_if<double>() == 2.5);
  CHECK(*json::value(7u).get_if<std::uint64_t>() == 7);
  CHECK(*json::value("s").get_if<std::string>() == "s");
  REQUIRE(v.get_if<json::object>() != nullptr);
  v.get_if<json::object>()->emplace_back("b", json::array{"x"});
  CHECK(v.dump() == R"({"a": 1, "b": ["x"]})");
}
