// Runtime selection against the real dockerd, which registers a stand-in runtime `kata`
// (--add-runtime kata=/usr/sbin/runc): selection by name is what is proven here, not VM
// isolation. Containers are labelled berth.test=<name> and removed.
#include <doctest/doctest.h>

#include <future>
#include <string>

#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "berth/engine/engine.hpp"
#include "berth/kata/kata.hpp"
#include "support/engine_fixtures.hpp"

using namespace berth::kata;
using berth::diagnostics;
namespace engine = berth::engine;
namespace net = berth::net;
namespace test = berth::test;

namespace {

/// A client on a unix socket path where nothing listens: any daemon call fails.
engine::client unreachable_client() {
  net::endpoint ep;
  ep.kind = net::endpoint::transport::unix_socket;
  ep.path = "/nonexistent/berth-kata-test/docker.sock";
  return engine::client(ep);
}

}  // namespace

TEST_CASE("detection: the daemon offers runc and the stand-in kata") {
  auto c = test::docker();
  auto inv = docker_runtimes(c);
  CHECK(inv.offers("runc"));
  CHECK(inv.offers("kata"));
  CHECK_FALSE(inv.default_runtime.empty());

  // The same through the async form, on the caller's io_context.
  asio::io_context ioc;
  engine::client ac(ioc.get_executor(), test::docker_endpoint());
  auto fut = async_docker_runtimes(ac, {}, asio::use_future);
  ioc.run();
  CHECK(fut.get() == inv);
}

TEST_CASE("a container created with the Kata choice runs under runtime kata") {
  auto c = test::docker();
  auto op = test::container_spec("kata_runs", {"sh", "-c", "echo under-kata; exit 7"});
  auto prepared = prepare_create(c, std::move(op.body), runtime_choice::kata());
  CHECK(prepared.report.ok());
  CHECK(prepared.report.warnings.empty());  // network none, nothing Kata does differently
  REQUIRE(prepared.body.host_config.has_value());
  CHECK(prepared.body.host_config->runtime == "kata");

  auto ctr = test::create(c, engine::op::container_create{.body = prepared.body});
  auto inspect = c.run(engine::op::container_inspect{.id = ctr.id()});
  REQUIRE(inspect.host_config.has_value());
  CHECK(inspect.host_config->runtime == "kata");

  c.run(engine::op::container_start{.id = ctr.id()});
  auto exit = c.run(engine::op::container_wait{.id = ctr.id()});
  CHECK(exit.status_code == 7);  // it really ran, through the runtime named kata
  auto logs = c.run(engine::op::container_logs{.id = ctr.id(), .stdout_ = true});
  auto out = test::drain(logs);
  CHECK(out.out == "under-kata\n");
}

TEST_CASE("switching back to runc is the same one option") {
  auto c = test::docker();
  auto op = test::container_spec("kata_runc", {"true"});
  auto prepared = prepare_create(c, std::move(op.body), runtime_choice::runc());
  CHECK(prepared.body.host_config->runtime == "runc");
  auto ctr = test::create(c, engine::op::container_create{.body = prepared.body});
  CHECK(c.run(engine::op::container_inspect{.id = ctr.id()}).host_config->runtime == "runc");
}

TEST_CASE("a runtime the daemon lacks fails typed, listing the ones it has") {
  auto c = test::docker();
  auto op = test::container_spec("kata_missing", {"true"});
  std::error_code ec;
  diagnostics diag;
  auto p = prepare_create(c, op.body, runtime_choice::named("berth-no-such-runtime"), {}, ec,
                          {.diag = &diag});
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message.find("berth-no-such-runtime") != std::string::npos);
  CHECK(diag.message.find("kata") != std::string::npos);
  CHECK(diag.message.find("runc") != std::string::npos);

  // Kata mapped to a name the daemon does not have: same error.
  p = prepare_create(c, op.body, runtime_choice::kata(), {.runc = "runc", .kata = "kata-qemu"},
                     ec, {.diag = &diag});
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message.find("'kata-qemu'") != std::string::npos);

  // Throwing form carries the diagnostics.
  try {
    (void)prepare_create(c, op.body, runtime_choice::named("berth-no-such-runtime"));
    FAIL("no exception");
  } catch (const berth::error& e) {
    CHECK(e.code() == errc::runtime_unavailable);
    CHECK(e.details().message.find("kata, runc") != std::string::npos);
  }

  // And the daemon agrees: creating with that name directly is refused by dockerd.
  op.body.host_config->runtime = "berth-no-such-runtime";
  auto created = c.run(op, ec);
  CHECK(ec);
  if (!ec && !created.id.empty()) test::scoped_container leaked(created.id);
}

TEST_CASE("async prepare_create against the daemon") {
  asio::io_context ioc;
  engine::client c(ioc.get_executor(), test::docker_endpoint());
  auto op = test::container_spec("kata_async", {"true"});
  auto ok = async_prepare_create(c, op.body, runtime_choice::kata(), {}, {}, asio::use_future);
  auto missing = async_prepare_create(c, op.body, runtime_choice::named("nope"), {}, {},
                                      asio::use_future);
  ioc.run();
  CHECK(ok.get().body.host_config->runtime == "kata");
  try {
    (void)missing.get();
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::runtime_unavailable);
  }
}

TEST_CASE("a policy refusal happens before any daemon call") {
  auto dead = unreachable_client();
  auto op = test::container_spec("kata_policy", {"true"});

  // The control: with nothing to refuse, the same client fails reaching the daemon.
  std::error_code ec;
  (void)prepare_create(dead, op.body, runtime_choice::kata(), {}, ec);
  REQUIRE(ec);
  CHECK(engine::is_unreachable(ec));

  // Host network under Kata: the policy error wins; no daemon was needed to decide.
  op.body.host_config->network_mode = "host";
  diagnostics diag;
  (void)prepare_create(dead, op.body, runtime_choice::kata(), {}, ec, {.diag = &diag});
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.rfind("network: ", 0) == 0);

  // A runtime option Docker cannot take per container: refused before the daemon too.
  op.body.host_config->network_mode = "none";
  (void)prepare_create(dead, op.body, runtime_choice::kata({.config_path = "/etc/k.toml"}), {},
                       ec, {.diag = &diag});
  CHECK(ec == errc::unsupported_runtime_option);

  // Async: the same order.
  asio::io_context ioc;
  engine::client adead(ioc.get_executor(), dead.endpoint());
  op.body.host_config->binds = std::vector<std::string>{"/var/run/docker.sock:/var/run/docker.sock"};
  auto fut = async_prepare_create(adead, op.body, runtime_choice::kata(), {}, {}, asio::use_future);
  ioc.run();
  try {
    (void)fut.get();
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::unsupported_setting);
  }

  // Under runc, host network is fine: the call gets as far as the (missing) daemon.
  op.body.host_config->network_mode = "host";
  (void)prepare_create(dead, op.body, runtime_choice::runc(), {}, ec);
  CHECK(engine::is_unreachable(ec));
}
