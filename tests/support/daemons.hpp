// Where the real engines are, for integration tests. Values come from the environment
// that `scripts/engines env` prints; outside CI, defaults match what that script starts
// when it shares the long-lived engines. In CI (private engines in a temporary folder) a
// missing variable is a failure: no test may fall back to a well-known socket or port.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "berth/net/endpoint.hpp"

namespace berth::test {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

/// True when a missing daemon must fail the run (CI, or BERTH_REQUIRE_DAEMONS=1).
inline bool daemons_required() {
  return env_or("BERTH_REQUIRE_DAEMONS", "") == "1" || env_or("CI", "") == "true";
}

/// An engine setting from `scripts/engines env`: the variable, else (outside CI) the
/// fallback. When daemons are required and the variable is unset, the test program ends
/// with status 1 naming it.
inline std::string engine_env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  if (v && *v) return v;
  if (daemons_required()) {
    std::fprintf(stderr, "%s is not set: with CI=true the engines are found only through "
                         "what `scripts/engines env` prints\n", name);
    std::exit(1);
  }
  return fallback;
}

/// The Docker endpoint of the environment: DOCKER_HOST (required in CI), else the default
/// socket.
inline net::endpoint docker_endpoint() {
  engine_env("DOCKER_HOST", "");
  auto ep = net::endpoint_from_env();
  return ep ? *ep : net::default_docker_endpoint();
}

inline std::string test_image() { return env_or("BERTH_TEST_IMAGE", "berth-test/busybox:latest"); }

}  // namespace berth::test
