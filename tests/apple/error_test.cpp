// The apple error categories and the in-band error mapping (APPLE.md §1.2 "Errors").
#include "berth/apple/error.hpp"

#include <doctest/doctest.h>

#include <string>

#include "support/golden.hpp"

using namespace berth::apple;
using berth::apple::test::fixture;

TEST_CASE("the eleven code strings map both ways") {
  const std::pair<const char*, errc> codes[] = {
      {"cancelled", errc::cancelled},       {"unknown", errc::unknown},         {"invalidArgument", errc::invalid_argument},
      {"timeout", errc::timeout},           {"notFound", errc::not_found},      {"exists", errc::exists},
      {"unsupported", errc::unsupported},   {"internalError", errc::internal_error},
      {"invalidState", errc::invalid_state}, {"interrupted", errc::interrupted}, {"empty", errc::empty}};
  for (const auto& [s, e] : codes) {
    CAPTURE(s);
    CHECK(errc_from_code(s) == e);
    CHECK(code_string(e) == s);
    berth::diagnostics d;
    const std::string json = std::string(R"({"code":")") + s + R"(","message":"m"})";
    CHECK(map_inband_error(json, &d) == e);
    CHECK(d.message == "m");
    CHECK(d.status == 0);
  }
  CHECK(errc_from_code("NotFound") == errc::unknown);  // exact spelling
}

TEST_CASE("golden error payloads") {
  berth::diagnostics d;
  CHECK(map_inband_error(fixture("error.not_found.json"), &d) == errc::not_found);
  CHECK(d.message == "container web not found");
  CHECK(map_inband_error(fixture("error.fallback.json"), &d) == errc::internal_error);
  CHECK(d.message == "the daemon failed to encode the original error");
  CHECK(map_inband_error(fixture("error.cause.json"), &d) == errc::invalid_state);
  CHECK(d.message == "cannot stop (cause: \"busy\")");
}

TEST_CASE("unknown codes and unreadable error data") {
  berth::diagnostics d;
  CHECK(map_inband_error(R"({"code":"quotaExceeded","message":"too many"})", &d) == errc::unknown);
  CHECK(d.message == "quotaExceeded: too many");
  CHECK(map_inband_error("not json", &d) == errc::unknown);
  CHECK(d.message == "not json");
  CHECK(map_inband_error(R"({"code":5})", &d) == errc::unknown);
  CHECK(d.message == R"({"code":5})");
  CHECK(map_inband_error(R"({"code":"exists"})", &d) == errc::exists);  // message absent: empty
  CHECK(d.message.empty());
  CHECK(map_inband_error("{}", nullptr) == errc::unknown);
  std::string huge(10000, 'x');
  CHECK(map_inband_error(huge, &d) == errc::unknown);
  CHECK(d.message.size() == berth::diagnostics::message_cap);
}

TEST_CASE("categories, conditions and predicates") {
  std::error_code e = errc::not_found;
  CHECK(std::string(e.category().name()) == "berth.apple");
  CHECK(std::string(std::error_code(xpc_errc::no_reply).category().name()) == "berth.apple.xpc");
  CHECK(berth::is_timeout(errc::timeout));  // the daemon's own timeout
  CHECK(std::error_code(errc::cancelled) == std::errc::operation_canceled);
  CHECK_FALSE(std::error_code(errc::exists) == std::errc::file_exists);
  CHECK(is_not_found(errc::not_found));
  CHECK(is_exists(errc::exists));
  CHECK(is_unsupported(errc::unsupported));
  CHECK(is_unsupported(xpc_errc::no_reply));
  CHECK(is_unsupported(xpc_errc::unsupported_version));
  CHECK(is_unsupported(berth::errc::unsupported));
  CHECK(is_unavailable(xpc_errc::connection_invalid));
  CHECK(is_unavailable(xpc_errc::connection_interrupted));
  CHECK_FALSE(is_unavailable(xpc_errc::bad_reply));
  for (int i = 1; i <= 11; ++i) CHECK_FALSE(std::error_code(static_cast<errc>(i)).message().empty());
  for (int i = 1; i <= 5; ++i) CHECK_FALSE(std::error_code(static_cast<xpc_errc>(i)).message().empty());
}
