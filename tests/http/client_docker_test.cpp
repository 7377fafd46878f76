// The HTTP transport against the real dockerd: unix socket, TCP and TLS fronts, the
// keep-alive pool, every completion-token flavour, streamed bodies, cancellation.
#include <doctest/doctest.h>

#include <future>
#include <string>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "berth/http/client.hpp"
#include "support/daemons.hpp"
#include "support/fds.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

http::request get(std::string target) {
  http::request r;
  r.target = std::move(target);
  return r;
}

}  // namespace

TEST_CASE("sync ping and version over the unix socket, connection kept alive") {
  http::client c(test::docker_endpoint());
  auto r = c.perform(get("/_ping"));
  CHECK(r.status == 200);
  CHECK(r.body == "OK");
  CHECK(r.headers.find("Api-Version").has_value());
  CHECK(c.idle_connections() == 1);

  auto v = c.perform(get("/version"));
  CHECK(v.status == 200);
  CHECK(v.body.find("\"ApiVersion\"") != std::string::npos);
  CHECK(c.idle_connections() == 1);  // the same connection carried both
}

TEST_CASE("HEAD /_ping has no body and keeps the connection") {
  http::client c(test::docker_endpoint());
  http::request r = get("/_ping");
  r.method = "HEAD";
  auto resp = c.perform(r);
  CHECK(resp.status == 200);
  CHECK(resp.body.empty());
  CHECK(c.idle_connections() == 1);
}

TEST_CASE("a 404 is a response, not a transport error") {
  http::client c(test::docker_endpoint());
  std::error_code ec;
  auto r = c.perform(get("/containers/berth-no-such-container-xyz/json"), {}, ec);
  REQUIRE_FALSE(ec);
  CHECK(r.status == 404);
  CHECK(r.body.find("No such container") != std::string::npos);
}

TEST_CASE("callback, use_future and use_awaitable on a caller's io_context") {
  asio::io_context ioc;
  http::client c(ioc.get_executor(), test::docker_endpoint());

  unsigned cb_status = 0;
  bool cb_ran_inline = true;
  bool initiating = true;
  c.async_perform(get("/_ping"), [&](std::error_code ec, http::response r) {
    CHECK_FALSE(ec);
    cb_status = r.status;
    cb_ran_inline = initiating;
  });
  initiating = false;

  unsigned aw_status = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto r = co_await c.async_perform(get("/_ping"), asio::use_awaitable);
        aw_status = r.status;
      },
      asio::detached);
  ioc.run();
  CHECK(cb_status == 200);
  CHECK_FALSE(cb_ran_inline);
  CHECK(aw_status == 200);

  // use_future: the context runs on another thread while this one waits.
  ioc.restart();
  auto guard = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  auto fut = c.async_perform(get("/_ping"), asio::use_future);
  CHECK(fut.get().status == 200);
  // A sync call from a thread that is not running the strand waits for the result.
  CHECK(c.perform(get("/_ping")).status == 200);
  guard.reset();
  runner.join();
}

TEST_CASE("a sync call from inside the client's own strand fails instead of deadlocking") {
  asio::io_context ioc;
  http::client c(ioc.get_executor(), test::docker_endpoint());
  std::error_code inner;
  asio::dispatch(c.get_executor(), [&] { c.perform(get("/_ping"), {}, inner); });
  ioc.run();
  CHECK(inner == errc::would_deadlock);
}

TEST_CASE("TCP and TLS fronts reach the same daemon") {
  auto tcp = net::parse_endpoint(test::engine_env("BERTH_TCP_HOST", "tcp://127.0.0.1:23750"));
  REQUIRE(tcp);
  http::client c(*tcp);
  CHECK(c.perform(get("/_ping")).body == "OK");

  auto tls = net::parse_endpoint(test::engine_env("BERTH_TLS_HOST", "tcp://127.0.0.1:23760"), true);
  REQUIRE(tls);
  std::string certs = test::engine_env("BERTH_TLS_CERT_PATH", "/var/tmp/berth/tls");
  tls->tls.ca_file = certs + "/ca.pem";
  tls->tls.cert_file = certs + "/cert.pem";
  tls->tls.key_file = certs + "/key.pem";
  http::client t(*tls);
  auto r = t.perform(get("/version"));
  CHECK(r.status == 200);
  CHECK(t.perform(get("/_ping")).body == "OK");
  CHECK(t.idle_connections() == 1);

  SUBCASE("verification refuses a server the CA does not vouch for") {
    auto bad = *tls;
    bad.tls.ca_file = "/etc/ssl/certs/ca-certificates.crt";  // system roots: not our CA
    http::client b(bad);
    std::error_code ec;
    b.perform(get("/_ping"), {}, ec);
    CHECK(ec == net::error::tls_handshake);
  }
  SUBCASE("a wrong host name is refused") {
    auto bad = *tls;
    bad.tls.server_name = "not-this-host.example";
    http::client b(bad);
    std::error_code ec;
    b.perform(get("/_ping"), {}, ec);
    CHECK(ec == net::error::tls_handshake);
  }
}

TEST_CASE("a missing socket is a typed connect error, with no fd left behind") {
  auto before = test::open_fds();
  {
    net::endpoint ep;
    ep.path = "/tmp/berth-no-such-socket.sock";
    http::client c(ep);
    std::error_code ec;
    c.perform(get("/_ping"), {}, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
  }
  CHECK(test::open_fds() == before);
}

TEST_CASE("a streamed body read in small pieces, then the connection returns to the pool") {
  http::client c(test::docker_endpoint());
  auto s = c.open(get("/version"));
  CHECK(s.status() == 200);
  std::string all;
  char buf[7];
  std::error_code ec;
  for (;;) {
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    all.append(buf, n);
    if (ec) break;
  }
  CHECK(ec == asio::error::eof);
  CHECK(all.find("\"Version\"") != std::string::npos);
  CHECK(c.idle_connections() == 1);
}

TEST_CASE("cancelling a follow stream closes its connection and leaves the pool alone") {
  asio::io_context ioc;
  http::client c(ioc.get_executor(), test::docker_endpoint());
  // Warm the pool with one idle connection (this also creates the reactor's own fds).
  auto f1 = c.async_perform(get("/_ping"), asio::use_future);
  ioc.run();
  ioc.restart();
  REQUIRE(f1.get().status == 200);
  REQUIRE(c.idle_connections() == 1);
  auto before = test::open_fds();

  // /events with no "until" never ends by itself.
  std::error_code read_ec;
  asio::cancellation_signal sig;
  http::body_stream events;
  c.async_open(get("/events"), {}, [&](std::error_code ec, http::body_stream s) {
    REQUIRE_FALSE(ec);
    events = std::move(s);
    static char buf[256];
    events.async_read_some(asio::buffer(buf),
                           asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, std::size_t) {
                             read_ec = e;
                           }));
    asio::post(ioc, [&] { sig.emit(asio::cancellation_type::terminal); });
  });
  ioc.run();
  CHECK(read_ec == errc::cancelled);
  events.close();
  ioc.restart();
  ioc.run();
  CHECK(c.idle_connections() == 1);
  auto f2 = c.async_perform(get("/_ping"), asio::use_future);
  ioc.restart();
  ioc.run();
  CHECK(f2.get().status == 200);
  CHECK(test::open_fds() == before);  // just the pooled connection, as before
}

TEST_CASE("idle timeout on a stream that produces nothing") {
  http::client c(test::docker_endpoint());
  auto s = c.open(get("/events"), {.idle = 300ms});
  char buf[64];
  std::error_code ec;
  s.read_some(asio::buffer(buf), ec);
  CHECK(ec == errc::timeout);
  CHECK(is_timeout(ec));
}
