// Where the real engines are, for integration tests. Values come from the environment
// that scripts/engines exports; defaults match what that script starts.
#pragma once

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

/// The Docker endpoint of the environment (DOCKER_HOST or the default socket).
inline net::endpoint docker_endpoint() {
  auto ep = net::endpoint_from_env();
  return ep ? *ep : net::default_docker_endpoint();
}

inline std::string test_image() { return env_or("BERTH_TEST_IMAGE", "berth-test/busybox:latest"); }

}  // namespace berth::test
