// Shared by the containerd integration tests: the client of the test instance and a
// namespace per test that is emptied and deleted afterwards (the test fails if anything
// is left behind).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "berth/containerd/containerd.hpp"
#include "support/daemons.hpp"

namespace berth::test {

inline std::string containerd_address() {
  return engine_env("BERTH_CONTAINERD_ADDRESS", "/var/tmp/berth/ctrd/containerd.sock");
}
inline std::string registry() { return engine_env("BERTH_REGISTRY", "127.0.0.1:5000"); }
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

/// Runs cmd through the shell; its stdout, and its exit status in *status (-1: killed).
inline std::string sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/// ctr on the test instance, in namespace ns, stderr folded into the output.
inline std::string ctr(const std::string& ns, const std::string& args, int* status = nullptr) {
  return sh("ctr --address " + containerd_address() + " -n " + ns + " " + args + " 2>&1", status);
}
inline std::string ctr(const scoped_namespace& ns, const std::string& args, int* status = nullptr) {
  return ctr(ns.name(), args, status);
}

}  // namespace berth::test
