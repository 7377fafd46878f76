// Runtime selection against the real containerd of scripts/engines, whose PATH holds a
// stand-in containerd-shim-kata-v2 (runc's shim under Kata's name): what is proven is that
// the chosen shim is the one containerd starts and that Container.Runtime carries exactly
// what berth set, not VM isolation. The stand-in does not know runtimeoptions.v1.Options
// (Kata's configuration path), so a Kata choice with a path is created and read back, not
// run. Each test case works in a namespace of its own, emptied (containers, tasks,
// snapshots, leases, content) and deleted at its end; main() is tests/containerd/main.cpp
// (fails without containerd when CI=true or BERTH_REQUIRE_DAEMONS=1).
#include <doctest/doctest.h>

#include <future>
#include <string>

#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "berth/kata/containerd.hpp"
#include "containerd/support.hpp"

using namespace berth::kata;
using berth::diagnostics;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;
namespace test = berth::test;

namespace {

ctrd::container_options busybox(std::string id, std::vector<std::string> args) {
  return {.id = std::move(id), .image = test::registry_image(), .args = std::move(args)};
}

/// run_options that collect stdout and stderr into out / err and keep the container.
ctrd::run_options collect(std::string& out, std::string& err) {
  ctrd::run_options r;
  r.remove = false;
  r.on_output = [&out, &err](ctrd::output which, std::string_view data) {
    (which == ctrd::output::stdout_stream ? out : err).append(data);
  };
  return r;
}

void check_runtime_record(ctrd::client& c, const std::string& id, const runtime_choice& choice) {
  auto want = containerd_runtime_of(choice).value();
  auto got = c.run(op::container_get{.id = id});
  CHECK(got.runtime.name == want.name);
  CHECK(got.runtime.options.type_url == (want.options ? want.options->type_url : ""));
  CHECK(got.runtime.options.value == (want.options ? want.options->value : ""));
}

}  // namespace

TEST_CASE("detection: containerd lists its runtime plugins; shims are not among them") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto inv = containerd_runtimes(c);
  CHECK(inv.plugins == std::vector<std::string>{"io.containerd.runtime.v1.linux", "io.containerd.runtime.v2.task"});
  CHECK(inv.failed.empty());
  CHECK(inv.shim_v2());
  CHECK(inv.accepts("io.containerd.kata.v2"));
  CHECK(inv.accepts("io.containerd.nosuch.v1"));  // the name is fine; the binary is only looked up at task create
  CHECK_FALSE(inv.accepts("kata"));

  asio::io_context ioc;
  ctrd::client ac(ioc.get_executor(), test::ctrd_options(ns.name()));
  auto fut = async_containerd_runtimes(ac, {}, asio::use_future);
  ioc.run();
  CHECK(fut.get() == inv);
}

TEST_CASE("a container run with the Kata choice runs under io.containerd.kata.v2") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::string out, err;
  auto choice = runtime_choice::kata();
  auto r = run_container(c, busybox("kata-run", {"sh", "-c", "echo under-kata; echo to-err >&2; exit 7"}), choice,
                         collect(out, err));
  CHECK(r.result.exit_code == 7);
  CHECK(out == "under-kata\n");
  CHECK(err == "to-err\n");
  CHECK(r.report.ok());
  CHECK(r.report.warnings.empty());
  // Containers.Get: the Kata shim, and no options (none were set: the shim's defaults).
  check_runtime_record(c, "kata-run", choice);
  CHECK(c.run(op::container_get{.id = "kata-run"}).runtime.options.empty());
  std::error_code ec;
  c.remove_container("kata-run", ec);
  CHECK(!ec);

  // The same through the async form; the container is removed (run.remove).
  asio::io_context ioc;
  ctrd::client ac(ioc.get_executor(), test::ctrd_options(ns.name()));
  std::string aout;
  ctrd::run_options ar;
  ar.on_output = [&aout](ctrd::output, std::string_view d) { aout.append(d); };
  auto fut = async_run_container(ac, busybox("kata-async", {"echo", "async-kata"}), runtime_choice::kata(),
                                 std::move(ar), {}, asio::use_future);
  ioc.run();
  CHECK(fut.get().result.exit_code == 0);
  CHECK(aout == "async-kata\n");
  CHECK(c.run(op::container_list{}).empty());
}

TEST_CASE("Kata with a configuration path: Containers.Get returns exactly the Any berth set") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  const std::string path = "/etc/kata-containers/configuration-berth.toml";
  auto choice = runtime_choice::kata({.config_path = path});
  auto made = create_container(c, busybox("kata-conf", {"true"}), choice);
  CHECK(made.container.runtime.name == "io.containerd.kata.v2");
  auto got = c.run(op::container_get{.id = "kata-conf"});
  CHECK(got.runtime.name == "io.containerd.kata.v2");
  CHECK(got.runtime.options.type_url == "runtimeoptions.v1.Options");  // bare
  CHECK(got.runtime.options.value == encode_runtime_options(path));
  CHECK(got.runtime.options.value == "\x12" + std::string(1, static_cast<char>(path.size())) + path);  // field 2
  check_runtime_record(c, "kata-conf", choice);
  std::error_code ec;
  c.remove_container("kata-conf", ec);
  CHECK(!ec);

  // Run, the stand-in (runc's shim) refuses Kata's options type: containerd's failure,
  // not a missing runtime, with containerd's words in the diagnostics.
  diagnostics diag;
  berth::call_options opts;
  opts.diag = &diag;
  run_container(c, busybox("kata-conf-run", {"true"}), choice, {}, ec, opts);
  CHECK(ec == ctrd::errc::unknown);
  CHECK(ec != errc::runtime_unavailable);
  CHECK_MESSAGE(diag.message.find("runtimeoptions.v1.Options") != std::string::npos, diag.message);
  CHECK(c.run(op::container_list{}).empty());
}

TEST_CASE("the runc choice with options round-trips and runs") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto choice = runtime_choice::runc({.binary_name = "runc"});
  std::string out, err;
  auto r = run_container(c, busybox("runc-opts", {"echo", "under-runc"}), choice, collect(out, err));
  CHECK(r.result.exit_code == 0);
  CHECK(out == "under-runc\n");
  auto got = c.run(op::container_get{.id = "runc-opts"});
  CHECK(got.runtime.name == "io.containerd.runc.v2");
  CHECK(got.runtime.options.type_url == "containerd.runc.v1.Options");
  CHECK(got.runtime.options.value == std::string("\x32\x04runc", 6));
  check_runtime_record(c, "runc-opts", choice);
  std::error_code ec;
  c.remove_container("runc-opts", ec);
  CHECK(!ec);

  // The default choice: runc with no options at all.
  auto d = create_container(c, busybox("runc-default", {"true"}), runtime_choice::runc());
  CHECK(d.container.runtime.name == "io.containerd.runc.v2");
  CHECK(c.run(op::container_get{.id = "runc-default"}).runtime.options.empty());
  c.remove_container("runc-default", ec);
  CHECK(!ec);
}

TEST_CASE("an unknown shim fails typed, with containerd's words and what it offers") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::error_code ec;
  diagnostics diag;
  berth::call_options opts;
  opts.diag = &diag;

  run_container(c, busybox("no-shim", {"true"}), runtime_choice::named("io.containerd.nosuch.v1"), {}, ec, opts);
  CHECK(ec == errc::runtime_unavailable);
  MESSAGE("unknown shim: " << diag.message);
  CHECK_MESSAGE(diag.message.find("binary not installed") != std::string::npos, diag.message);
  CHECK(diag.message.find("containerd-shim-nosuch-v1") != std::string::npos);
  CHECK(diag.message.find("io.containerd.runtime.v2.task") != std::string::npos);
  CHECK(c.run(op::container_list{}).empty());
  c.run(op::snapshot_stat{.key = "no-shim"}, ec);
  CHECK(ctrd::is_not_found(ec));

  // An absolute shim path that is not there.
  run_container(c, busybox("no-path", {"true"}), runtime_choice::named("/nonexistent/containerd-shim-x-v2"), {}, ec,
                opts);
  CHECK(ec == errc::runtime_unavailable);
  CHECK_MESSAGE(diag.message.find("invalid custom binary path") != std::string::npos, diag.message);

  // A name containerd would refuse: refused before anything is created.
  run_container(c, busybox("bad-name", {"true"}), runtime_choice::named("nosuch"), {}, ec, opts);
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message.find("io.containerd.<name>.<version>") != std::string::npos);
  CHECK(c.run(op::container_list{}).empty());

  // Asynchronously, the same mapping.
  asio::io_context ioc;
  ctrd::client ac(ioc.get_executor(), test::ctrd_options(ns.name()));
  diagnostics adiag;
  berth::call_options aopts;
  aopts.diag = &adiag;
  auto fut = async_run_container(ac, busybox("no-shim-async", {"true"}), runtime_choice::named("io.containerd.nosuch.v1"),
                                 {}, aopts, asio::use_future);
  ioc.run();
  try {
    fut.get();
    FAIL("an unknown shim ran");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::runtime_unavailable);
  }
  CHECK(adiag.message.find("binary not installed") != std::string::npos);
  CHECK(c.run(op::container_list{}).empty());
}

TEST_CASE("a Kata-refused setting fails before any daemon call: nothing is created") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto snapshots_before = c.run(op::snapshot_list{}).size();
  auto o = busybox("refused", {"true"});
  // containerd's own socket, bind-mounted: a host socket does not cross the VM boundary.
  o.mounts.push_back({.type = "bind", .source = test::containerd_address(), .target = "/ctrd.sock"});
  std::error_code ec;
  diagnostics diag;
  berth::call_options opts;
  opts.diag = &diag;
  auto r = run_container(c, o, runtime_choice::kata(), {}, ec, opts);
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.find("unix socket") != std::string::npos);
  CHECK(r.report.refusals.size() == 1);
  create_container(c, o, runtime_choice::kata(), ec, opts);
  CHECK(ec == errc::unsupported_setting);
  CHECK(c.run(op::container_list{}).empty());
  CHECK(c.run(op::snapshot_list{}).size() == snapshots_before);
  CHECK(c.run(op::lease_list{}).empty());

  // The same options under runc are fine (the policy is Kata's).
  auto ok = create_container(c, o, runtime_choice::runc(), ec, opts);
  CHECK(!ec);
  CHECK(ok.container.id == "refused");
  c.remove_container("refused", ec);
  CHECK(!ec);
}
