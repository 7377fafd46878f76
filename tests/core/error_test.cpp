// berth core errors: the category, diagnostics, berth::error and result<T>.
#include <doctest/doctest.h>

#include <string>

#include "berth/core/error.hpp"
#include "berth/core/result.hpp"

using namespace berth;

TEST_CASE("core error codes have their own category and messages") {
  std::error_code ec = errc::timeout;
  CHECK(ec.category().name() == std::string("berth"));
  CHECK(ec.message() == "deadline expired");
  CHECK(std::error_code(errc::cancelled).message() == "operation cancelled");
  CHECK(is_timeout(errc::timeout));
  CHECK(is_timeout(std::make_error_code(std::errc::timed_out)));
  CHECK_FALSE(is_timeout(errc::cancelled));
  CHECK(is_cancelled(errc::cancelled));
  CHECK_FALSE(is_cancelled(errc::timeout));
}

TEST_CASE("diagnostics cap the daemon's message on a UTF-8 boundary") {
  diagnostics d;
  d.set_message("short");
  CHECK(d.message == "short");
  std::string big(diagnostics::message_cap - 1, 'a');
  big += "\xC3\xA9";  // a two-byte character straddling the cap
  big += "tail";
  d.set_message(big);
  CHECK(d.message.size() == diagnostics::message_cap - 1);
  CHECK(d.message.back() == 'a');
  d.clear();
  CHECK(d.message.empty());
  CHECK(d.status == 0);
}

TEST_CASE("berth::error carries the code and the diagnostics into what()") {
  diagnostics d;
  d.status = 404;
  d.set_message("No such container: x");
  error e(errc::invalid_argument, d);
  CHECK(e.code() == errc::invalid_argument);
  CHECK(e.details().status == 404);
  std::string what = e.what();
  CHECK(what.find("invalid argument") != std::string::npos);
  CHECK(what.find("status 404") != std::string::npos);
  CHECK(what.find("No such container: x") != std::string::npos);
  CHECK_THROWS_AS(throw_if(errc::timeout), error);
  CHECK_NOTHROW(throw_if(std::error_code{}));
}

TEST_CASE("result holds a value or an error_code") {
  result<int> ok = 7;
  REQUIRE(ok.has_value());
  CHECK(*ok == 7);
  CHECK_FALSE(ok.error());
  result<int> bad = unexpected(errc::timeout);
  CHECK_FALSE(bad.has_value());
  CHECK(bad.error() == errc::timeout);
  CHECK(bad.value_or(3) == 3);
  CHECK_THROWS_AS(bad.value(), error);
  result<std::string> moved = std::string("abc");
  std::string s = std::move(moved).value();
  CHECK(s == "abc");
  result<void> v;
  CHECK(v.has_value());
  result<void> verr = unexpected(errc::cancelled);
  CHECK(verr.error() == errc::cancelled);
  CHECK_THROWS_AS(verr.value(), error);
  result<int> defaulted;
  CHECK(defaulted.has_value());
  CHECK(*defaulted == 0);
}
