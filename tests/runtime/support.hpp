// Shared by the runtime layer's scenario tests: each scenario runs once per real engine,
// Docker (dockerd of scripts/engines) and containerd (its containerd, in a namespace of
// its own), with an owner of its own so that sweeps only ever see the test's resources.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "berth/engine/engine.hpp"
#include "berth/runtime/containerd.hpp"
#include "berth/runtime/runtime.hpp"
#include "containerd/support.hpp"

namespace berth::test {

/// A unique name for this process and call ("<prefix>-<pid>-<n>").
inline std::string unique(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

/// One engine under test.
struct engine_case {
  std::string name;                            ///< "docker" or "containerd".
  std::unique_ptr<scoped_namespace> ns;        ///< containerd's namespace of this case.
  std::optional<runtime::client> rt;
  std::string image;                           ///< The busybox test image on this engine.
  bool docker() const { return name == "docker"; }
};

inline runtime::client_options test_options(const std::string& owner) {
  runtime::client_options o;
  o.owner.owner = owner;
  o.pull_retry.first = std::chrono::milliseconds(50);
  return o;
}

/// The call options of a test call: the diagnostics go to d.
inline call_options with(berth::diagnostics& d) {
  call_options o;
  o.diag = &d;
  return o;
}

/// Runs body once on Docker and once on containerd. Afterwards everything the case's
/// owner made is swept, and nothing of it may be left.
inline void on_each_engine(const std::function<void(engine_case&)>& body) {
  for (std::string name : {"docker", "containerd"}) {
    engine_case c;
    c.name = name;
    const auto owner = unique("rt-" + name);
    c.image = registry_image();
    if (c.docker()) {
      c.rt.emplace(engine::client(docker_endpoint()), test_options(owner));
    } else {
      c.ns = std::make_unique<scoped_namespace>();
      pull_test_image(c.ns->client());
      c.rt.emplace(runtime::from_containerd(c.ns->client(), test_options(owner)));
    }
    {
      INFO("engine: " << name);
      body(c);
      std::error_code ec;
      berth::diagnostics d;
      c.rt->run(runtime::op::sweep{}, ec, with(d));
      CHECK_MESSAGE(!ec, name << ": sweep: " << ec.message() << " " << d.message);
      auto left = c.rt->run(runtime::op::list{.match = c.rt->options().owner.selector()}, ec);
      CHECK(!ec);
      CHECK_MESSAGE(left.empty(), name << ": " << left.size() << " containers left");
    }
  }
}

/// A fresh temporary folder, removed at the end.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "berth-rt-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace berth::test
