// apiServerVersion parsing and capabilities (APPLE.md §5), and signal strings (§1.3
// containerKill: name or number, case-insensitive, SIG optional).
#include <doctest/doctest.h>

#include "berth/apple/error.hpp"
#include "berth/apple/signal.hpp"
#include "berth/apple/version.hpp"

using namespace berth::apple;

TEST_CASE("apiServerVersion") {
  auto v = parse_apiserver_version("container-apiserver version 1.3.0 (build: release, commit: d6de569)");
  REQUIRE(v);
  CHECK(v->major == 1);
  CHECK(v->minor == 3);
  CHECK(v->patch == 0);
  CHECK(v->build == "release");
  CHECK(v->commit == "d6de569");
  auto bare = parse_apiserver_version("container-apiserver version 0.12.3");
  REQUIRE(bare);
  CHECK(bare->minor == 12);
  CHECK(bare->build.empty());
  for (const char* bad : {"", "version", "version 1", "version 1.2", "version x.y.z", "container 1.2.3"})
    CHECK_MESSAGE(!parse_apiserver_version(bad), bad);
}

TEST_CASE("capabilities") {
  system_info i;
  i.api_server_version = "container-apiserver version 1.2.2 (build: release, commit: 0190097)";
  auto c = capabilities_of(i).value();
  CHECK(c.tested_range);
  CHECK(c.copy_routes);
  CHECK(c.kernel_digest);
  CHECK(c.masked_readonly_paths);
  CHECK_FALSE(c.network_create);  // unknown until the host OS is read
  i.api_server_version = "container-apiserver version 1.1.0";
  CHECK_FALSE(capabilities_of(i)->kernel_digest);
  i.api_server_version = "container-apiserver version 1.4.0";
  CHECK_FALSE(capabilities_of(i)->tested_range);
  i.api_server_version = "container-apiserver version 0.12.3";
  CHECK(capabilities_of(i).error() == xpc_errc::unsupported_version);
  i.api_server_version = "garbage";
  CHECK(capabilities_of(i).error() == xpc_errc::unsupported_version);
}

TEST_CASE("signals") {
  CHECK(parse_signal("KILL").value_or(-1) == 9);
  CHECK(parse_signal("SIGTERM").value_or(-1) == 15);
  CHECK(parse_signal("sigterm").value_or(-1) == 15);
  CHECK(parse_signal("term").value_or(-1) == 15);
  CHECK(parse_signal("15").value_or(-1) == 15);
  CHECK(parse_signal("64").value_or(-1) == 64);
  CHECK(parse_signal("WINCH").value_or(-1) == 28);
  for (const char* bad : {"", "0", "65", "-1", "SIG", "NOPE", "15x", "SIGSIGTERM", " 15"})
    CHECK_MESSAGE(!parse_signal(bad), bad);
  for (int n = 1; n <= 64; ++n) CHECK(parse_signal(signal_name(n)).value_or(-1) == n);
  CHECK(signal_name(9) == "SIGKILL");
  CHECK(signal_name(40) == "40");
}
