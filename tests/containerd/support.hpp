// Shared by the containerd integration tests: the client of the test instance and a
// namespace per test that is emptied and deleted afterwards (the test fails if anything
// is left behind).
#pragma once

#include <atomic>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/containerd/containerd.hpp"
#include "support/daemons.hpp"

namespace berth::test {

inline std::string containerd_address() {
  return env_or("BERTH_CONTAINERD_ADDRESS", env_or("CONTAINERD_ADDRESS", "/var/tmp/berth/ctrd/containerd.sock").c_str());
}
inline std::string registry() { return env_or("BERTH_REGISTRY", "127.0.0.1:5000"); }
/// The busybox test image in the loopback registry (pushed by the test main).
inline std::string registry_image() { return registry() + "/berth-test/busybox:latest"; }

inline containerd::client_options ctrd_options(std::string ns) {
  containerd::client_options o;
  o.address = containerd_address();
  o.namespace_ = std::move(ns);
  o.timeout = std::chrono::seconds(60);
  return o;
}

/// Removes everything in the client's namespace; returns a description of what could not
/// be removed (empty when clean).
std::string empty_namespace(containerd::client& c);

/// A fresh namespace for one test, emptied and deleted at the end.
class scoped_namespace {
 public:
  scoped_namespace();
  ~scoped_namespace();
  containerd::client& client() { return client_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  containerd::client client_;
};

/// Pulls the test image into c (once per namespace).
containerd::image pull_test_image(containerd::client& c);

}  // namespace berth::test
