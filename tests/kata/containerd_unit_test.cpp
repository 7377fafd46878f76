// The containerd side of runtime selection without a daemon: container_options -> the
// policy's settings, the runtime copied from containerd_runtime_of(), shim names as
// containerd resolves them, the inventory of an Introspection answer, containerd's
// messages for a missing shim, and refusals that complete before any gRPC call (against
// a socket where nothing listens, where any call would fail as unavailable).
#include <doctest/doctest.h>

#include <future>
#include <string>

#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "berth/kata/containerd.hpp"

using namespace berth::kata;
using berth::diagnostics;
namespace ctrd = berth::containerd;

namespace {

ctrd::client unreachable_client() {
  ctrd::client_options o;
  o.address = "/nonexistent/berth-kata-test/containerd.sock";
  o.namespace_ = "berth-kata-unit";
  o.timeout = std::chrono::seconds(5);
  return ctrd::client(o);
}

ctrd::container_options with_bind(std::string source, std::string target) {
  ctrd::container_options o{.id = "k", .image = "img"};
  o.mounts.push_back({.type = "bind", .source = std::move(source), .target = std::move(target)});
  return o;
}

}  // namespace

TEST_CASE("settings_of: mounts and privileged; namespaces are always the container's own") {
  ctrd::container_options o{.id = "k", .image = "img"};
  CHECK(settings_of(o) == container_settings{});

  o.privileged = true;
  o.mounts.push_back({.type = "bind", .source = "/srv/data", .target = "/data", .read_only = true});
  o.mounts.push_back({.type = "tmpfs", .source = "ignored", .target = "/scratch"});
  auto s = settings_of(o);
  CHECK(s.privileged);
  REQUIRE(s.mounts.size() == 2);
  CHECK(s.mounts[0] == mount_setting{"bind", "/srv/data", "/data", host_path_kind::unknown});
  CHECK(s.mounts[1] == mount_setting{"tmpfs", "", "/scratch", host_path_kind::unknown});
  CHECK(s.network.mode == sharing::isolated);
  CHECK(s.pid.mode == sharing::isolated);
  CHECK(s.ipc.mode == sharing::isolated);

  // stat_host_paths classifies bind sources on this machine.
  auto st = settings_of(with_bind("/dev/null", "/n"), {.stat_host_paths = true});
  CHECK(st.mounts[0].source_kind == host_path_kind::char_device);
  CHECK(settings_of(with_bind("/tmp", "/t"), {.stat_host_paths = true}).mounts[0].source_kind ==
        host_path_kind::directory);
}

TEST_CASE("validate: Kata refuses host /proc and sockets, warns on privileged; runc takes all") {
  std::error_code ec;
  diagnostics diag;
  auto r = validate(with_bind("/proc/sys", "/host-sys"), runtime_choice::kata(), ec, &diag);
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.rfind("mounts[0]: ", 0) == 0);
  CHECK(r.refusals.size() == 1);

  validate(with_bind("/run/app/api.sock", "/api.sock"), runtime_choice::kata(), ec, &diag);
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.find("unix socket") != std::string::npos);

  ctrd::container_options priv{.id = "p", .image = "img", .privileged = true};
  r = validate(priv, runtime_choice::kata(), ec, &diag);
  CHECK_FALSE(ec);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].setting == "privileged");

  r = validate(with_bind("/proc/sys", "/host-sys"), runtime_choice::runc(), ec, &diag);
  CHECK_FALSE(ec);
  CHECK(r.refusals.empty());
  // A named VM runtime gets the Kata rules too.
  validate(with_bind("/proc", "/p"), runtime_choice::named("io.containerd.kata-qemu.v2", isolation::vm),
           ec);
  CHECK(ec == errc::unsupported_setting);
  CHECK_THROWS_AS(validate(with_bind("/sys", "/s"), runtime_choice::kata()), berth::error);
}

TEST_CASE("apply_runtime / prepare_container copy containerd_runtime_of into Container.Runtime") {
  std::error_code ec;
  for (const auto& choice : {runtime_choice::runc(), runtime_choice::runc({.binary_name = "crun"}),
                             runtime_choice::kata(), runtime_choice::kata({.config_path = "/k.toml"}),
                             runtime_choice::named("io.containerd.runsc.v1", isolation::container, "/g.toml")}) {
    auto want = containerd_runtime_of(choice).value();
    ctrd::container_options o{.id = "x", .image = "img"};
    apply_runtime(o, choice, ec);
    REQUIRE_FALSE(ec);
    CHECK(o.runtime.name == want.name);
    CHECK(o.runtime.options.type_url == (want.options ? want.options->type_url : ""));
    CHECK(o.runtime.options.value == (want.options ? want.options->value : ""));
  }
  // Back to runc without options clears Kata's.
  ctrd::container_options o{.id = "x", .image = "img"};
  apply_runtime(o, runtime_choice::kata({.config_path = "/k.toml"}), ec);
  apply_runtime(o, runtime_choice::runc(), ec);
  CHECK(o.runtime.name == "io.containerd.runc.v2");
  CHECK(o.runtime.options.empty());

  diagnostics diag;
  apply_runtime(o, runtime_choice::named(""), ec, &diag);
  CHECK(ec == errc::invalid_runtime);
  CHECK(o.runtime.name == "io.containerd.runc.v2");  // untouched

  auto p = prepare_container({.id = "k", .image = "img"}, runtime_choice::kata(), ec);
  CHECK_FALSE(ec);
  CHECK(p.options.runtime.name == "io.containerd.kata.v2");
  CHECK(p.options.id == "k");
  p = prepare_container(with_bind("/proc", "/p"), runtime_choice::kata(), ec, &diag);
  CHECK(ec == errc::unsupported_setting);
  CHECK(p.report.refusals.size() == 1);
  CHECK_THROWS_AS(prepare_container(with_bind("/proc", "/p"), runtime_choice::kata()), berth::error);
}

TEST_CASE("shim names resolve as containerd resolves them") {
  CHECK(shim_binary_name("io.containerd.kata.v2") == "containerd-shim-kata-v2");
  CHECK(shim_binary_name("io.containerd.runc.v2") == "containerd-shim-runc-v2");
  CHECK(shim_binary_name("io.containerd.runsc.v1") == "containerd-shim-runsc-v1");
  CHECK(shim_binary_name("a.b") == "containerd-shim-a-b");
  CHECK(shim_binary_name("/opt/bin/containerd-shim-x-v2") == "/opt/bin/containerd-shim-x-v2");
  CHECK(shim_binary_name("kata").empty());
  CHECK(shim_binary_name(".x.v2").empty());
  CHECK(shim_binary_name("").empty());
}

TEST_CASE("the inventory of an Introspection answer: runtime plugins only") {
  std::vector<ctrd::plugin_info> plugins = {
      {.type = "io.containerd.runtime.v2", .id = "task"},
      {.type = "io.containerd.snapshotter.v1", .id = "overlayfs"},
      {.type = "io.containerd.runtime.v1", .id = "linux"},
      {.type = "io.containerd.grpc.v1", .id = "tasks"},
  };
  auto inv = containerd_runtimes(plugins);
  CHECK(inv.plugins == std::vector<std::string>{"io.containerd.runtime.v1.linux", "io.containerd.runtime.v2.task"});
  CHECK(inv.failed.empty());
  CHECK(inv.shim_v2());
  CHECK(inv.linux_v1());
  CHECK(inv.accepts("io.containerd.kata.v2"));
  CHECK(inv.accepts("/usr/local/bin/containerd-shim-x-v2"));
  CHECK(inv.accepts("io.containerd.runtime.v1.linux"));
  CHECK_FALSE(inv.accepts("kata"));
  CHECK(inv.to_string().find("io.containerd.runtime.v2.task") != std::string::npos);
  CHECK(inv.to_string().find("containerd-shim-<name>-<version>") != std::string::npos);

  std::error_code ec;
  diagnostics diag;
  check_runtime(inv, "io.containerd.kata.v2", ec, &diag);
  CHECK_FALSE(ec);
  check_runtime(inv, "kata", ec, &diag);
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message.find("io.containerd.<name>.<version>") != std::string::npos);

  // The v2 manager failed to load: no shim name is accepted, and the message says why.
  plugins[0].init_error = "no such file";
  inv = containerd_runtimes(plugins);
  CHECK_FALSE(inv.shim_v2());
  CHECK(inv.failed.at("io.containerd.runtime.v2.task") == "no such file");
  check_runtime(inv, "io.containerd.kata.v2", ec, &diag);
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message.find("failed to load: no such file") != std::string::npos);
}

TEST_CASE("containerd's messages for a shim it cannot find") {
  // Verbatim from containerd 1.6.20 (Tasks.Create, gRPC UNKNOWN).
  CHECK(is_shim_unavailable(
      "failed to start shim: failed to resolve runtime path: runtime \"io.containerd.nosuch.v1\" binary not "
      "installed \"containerd-shim-nosuch-v1\": file does not exist: unknown"));
  CHECK(is_shim_unavailable(
      "failed to start shim: failed to resolve runtime path: invalid runtime name nosuch, correct runtime name "
      "should be either format like `io.containerd.runc.v1` or a full path to the binary: unknown"));
  CHECK(is_shim_unavailable(
      "failed to start shim: failed to resolve runtime path: invalid custom binary path: stat /nonexistent/shim: "
      "no such file or directory: unknown"));
  // The shim started and refused its options: not a missing runtime.
  CHECK_FALSE(is_shim_unavailable(
      "failed to start shim: start failed: io.containerd.runc.v2: type with url runtimeoptions.v1.Options: not "
      "found: exit status 1: unknown"));
}

TEST_CASE("a refused setting completes before any gRPC call (nothing listens there)") {
  auto c = unreachable_client();
  std::error_code ec;
  diagnostics diag;
  berth::call_options opts;
  opts.diag = &diag;
  auto out = run_container(c, with_bind("/proc/sys", "/s"), runtime_choice::kata(), {}, ec, opts);
  CHECK(ec == errc::unsupported_setting);  // not containerd's unavailable
  CHECK(diag.message.rfind("mounts[0]: ", 0) == 0);
  CHECK(out.report.refusals.size() == 1);
  create_container(c, with_bind("/run/x.sock", "/x.sock"), runtime_choice::kata(), ec, opts);
  CHECK(ec == errc::unsupported_setting);
  CHECK_THROWS_AS(run_container(c, with_bind("/proc", "/p"), runtime_choice::kata()), berth::error);

  // The async forms, on the caller's io_context.
  asio::io_context ioc;
  ctrd::client ac(ioc.get_executor(), {.address = "/nonexistent/berth-kata-test/containerd.sock",
                                       .namespace_ = "berth-kata-unit"});
  auto f1 = async_run_container(ac, with_bind("/proc", "/p"), runtime_choice::kata(), {}, {}, asio::use_future);
  auto f2 = async_create_container(ac, with_bind("/sys", "/s"), runtime_choice::kata(), {}, asio::use_future);
  ioc.run();
  try {
    f1.get();
    FAIL("no refusal");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::unsupported_setting);
  }
  try {
    f2.get();
    FAIL("no refusal");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::unsupported_setting);
  }

  // What an accepted choice then meets at that address: containerd's unavailable.
  containerd_runtimes(c, ec);
  CHECK(ctrd::is_unavailable(ec));
  run_container(c, {.id = "k", .image = "img"}, runtime_choice::kata(), {}, ec);
  CHECK(ctrd::is_unavailable(ec));
}
