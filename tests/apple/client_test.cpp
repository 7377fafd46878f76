// The clients over the scripted driver: the three forms (async with callback, use_future,
// use_awaitable; error_code; throwing), completion on the handler's executor and never
// inside the initiating call although the transport replies on a foreign thread,
// deadlines (route table, client override, per call), terminal cancellation, the ping
// probe after an interruption, diagnostics, sync calls from several threads.
#include "berth/apple/client.hpp"

#include <doctest/doctest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "berth/apple/json.hpp"
#include "support/scripted_link.hpp"
#include "xpc/pool_transport.hpp"

using namespace berth::apple;
using berth::apple::test::script;
using berth::apple::test::scripted_driver;
using namespace std::chrono_literals;

namespace {

message ping_reply() {
  message r;
  r.set_string("appRoot", "file:///a/");
  r.set_string("installRoot", "file:///usr/local/");
  r.set_string("apiServerVersion", "container-apiserver version 1.3.0 (build: release, commit: d6de569)");
  r.set_string("apiServerCommit", "d6de569");
  r.set_string("apiServerBuild", "release");
  r.set_string("apiServerAppName", "container-apiserver");
  return r;
}

message error_reply(const char* code, const char* text) {
  message r;
  r.set_data("com.apple.container.xpc.error", to_json(xpc_error_payload{code, text}).value());
  return r;
}

struct fixture {
  std::shared_ptr<scripted_driver> d = std::make_shared<scripted_driver>();
  std::shared_ptr<transport> t;
  fixture() {
    d->reply_with = [](const message& m) {
      const auto r = route_of(m);
      if (r == "ping") return ping_reply();
      if (r == "containerDelete") return error_reply("invalidState", "container web is running");
      return message{};
    };
    t = detail::make_pool_transport(d, {});
  }
};

}  // namespace

TEST_CASE("async with a callback: on the caller's executor, never inside the initiating call") {
  fixture f;
  asio::io_context io;
  apiserver_client c(io.get_executor(), f.t);
  bool initiated = false, completed_early = false, done = false;
  system_info info;
  c.async_run(op::ping{}, [&](std::error_code ec, system_info i) {
    CHECK_FALSE(ec);
    completed_early = !initiated;
    CHECK(io.get_executor().running_in_this_thread());
    info = std::move(i);
    done = true;
  });
  initiated = true;
  io.run();
  CHECK(done);
  CHECK_FALSE(completed_early);
  CHECK(info.api_server_commit == "d6de569");
}

TEST_CASE("use_future and use_awaitable") {
  fixture f;
  asio::io_context io;
  apiserver_client c(io.get_executor(), f.t);
  auto fut = c.async_run(op::ping{}, asio::use_future);
  std::error_code seen;
  bool awaited = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Named ops: GCC 12 destroys a braced prvalue in a co_await full-expression twice.
        op::container_list list_op;
        auto list = co_await c.async_run(std::move(list_op), asio::use_awaitable);
        CHECK(list.empty());
        try {
          op::container_delete del{"web", false};
          co_await c.async_run(std::move(del), asio::use_awaitable);
        } catch (const std::system_error& e) {
          seen = e.code();
        }
        awaited = true;
      },
      asio::detached);
  io.run();
  CHECK(fut.get().api_server_build == "release");
  CHECK(awaited);
  CHECK(seen == errc::invalid_state);
}

TEST_CASE("sync forms: error_code with diagnostics, and throwing berth::error") {
  fixture f;
  apiserver_client c(f.t);
  std::error_code ec;
  berth::diagnostics diag;
  auto info = c.run(op::ping{}, ec, {{}, &diag});
  CHECK_FALSE(ec);
  CHECK(info.api_server_app_name == "container-apiserver");
  c.run(op::container_delete{"web", false}, ec, {{}, &diag});
  CHECK(ec == errc::invalid_state);
  CHECK(diag.message == "container web is running");
  CHECK(diag.request_id == "containerDelete");
  try {
    c.run(op::container_delete{"web", false});
    FAIL("no throw");
  } catch (const berth::error& e) {
    CHECK(e.code() == errc::invalid_state);
    CHECK(e.details().message == "container web is running");
    CHECK(std::string(e.what()).find("container web is running") != std::string::npos);
  }
  // The images client runs images ops on the images service.
  images_client ic(f.t);
  ic.run(op::image_list{}, ec);
  CHECK(ec == xpc_errc::bad_reply);  // the scripted reply lacks imageDescriptions
  CHECK(f.d->opened_names().back() == "com.apple.container.core.container-core-images");
}

TEST_CASE("deadlines: per call, per client, and the route table's") {
  fixture f;
  f.d->mode = script::never;
  apiserver_client c(f.t);
  std::error_code ec;
  berth::call_options opts;
  opts.timeouts.total = 50ms;
  const auto start = std::chrono::steady_clock::now();
  c.run(op::container_wait{"web", "web"}, ec, opts);  // no deadline of its own
  CHECK(ec == berth::errc::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(f.d->links().back()->cancels >= 1);  // the dedicated connection was closed

  client_options co;
  co.route_timeouts["containerList"] = 30ms;
  apiserver_client c2(f.t, co);
  c2.run(op::container_list{}, ec);
  CHECK(ec == berth::errc::timeout);
  CHECK(berth::is_timeout(ec));
}

TEST_CASE("an unknown route: no reply ends at the deadline; interrupted + a live apiserver is no_reply") {
  fixture f;
  f.d->mode_for = [](const message& m) { return route_of(m) == "ping" ? script::reply : script::interrupted; };
  apiserver_client c(f.t);
  std::error_code ec;
  berth::diagnostics diag;
  c.run(op::container_stats{"web"}, ec, {{}, &diag});
  CHECK(ec == xpc_errc::no_reply);
  CHECK(diag.message.find("no reply to containerStats") != std::string::npos);
  CHECK(diag.message.find("1.3.0") != std::string::npos);
  CHECK(is_unsupported(ec));

  f.d->mode_for = [](const message&) { return script::interrupted; };
  c.run(op::container_stats{"web"}, ec, {{}, &diag});
  CHECK(ec == xpc_errc::connection_interrupted);  // the probe failed too

  // The images service has no ping: its interruptions stay interruptions.
  images_client ic(f.t);
  ic.run(op::image_list{}, ec);
  CHECK(ec == xpc_errc::connection_interrupted);

  // A raw call of an unknown route, no reply at all: its deadline.
  f.d->mode_for = nullptr;
  f.d->mode = script::never;
  berth::call_options opts;
  opts.timeouts.total = 30ms;
  c.call(make_request("containerEvent"), ec, opts);
  CHECK(ec == berth::errc::timeout);
}

TEST_CASE("terminal cancellation through the handler's slot") {
  fixture f;
  f.d->mode = script::never;
  asio::io_context io;
  apiserver_client c(io.get_executor(), f.t);
  asio::cancellation_signal sig;
  std::error_code got;
  bool done = false;
  c.async_run(op::container_wait{"web", "web"},
              asio::bind_cancellation_slot(sig.slot(), [&](std::error_code ec, exit_info) {
                got = ec;
                done = true;
              }));
  asio::steady_timer t(io, 20ms);
  t.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK(done);
  CHECK(got == berth::errc::cancelled);
  CHECK(f.d->links().back()->cancels >= 1);
}

TEST_CASE("raw calls: the reply after the error-key check") {
  fixture f;
  apiserver_client c(f.t);
  std::error_code ec;
  message r = c.call(make_request("ping"), ec);
  CHECK_FALSE(ec);
  CHECK(*r.get_string("apiServerBuild") == "release");
  c.call(make_request("containerDelete"), ec);
  CHECK(ec == errc::invalid_state);
  c.call(message{}, ec);
  CHECK(ec == berth::errc::invalid_argument);
  CHECK_THROWS_AS(c.call(message{}), berth::error);
}

TEST_CASE("sync calls from several threads at once") {
  fixture f;
  apiserver_client c(f.t);
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        std::error_code ec;
        c.run(op::ping{}, ec);
        if (!ec) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  CHECK(ok == 80);
}

TEST_CASE("a client without a transport, and encoding failures") {
  apiserver_client c(nullptr);
  std::error_code ec;
  c.run(op::ping{}, ec);
  CHECK(ec == berth::errc::invalid_argument);
  fixture f;
  apiserver_client c2(f.t);
  op::network_create n;
  n.config.creation_date.seconds = std::numeric_limits<double>::infinity();
  c2.run(n, ec);
  CHECK(ec == json_errc::invalid_value);
  CHECK(f.d->opened == 0);
}
