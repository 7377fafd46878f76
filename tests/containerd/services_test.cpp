// The containerd services against the real containerd: version, namespaces, plugins,
// content (write with resumable status, read, info, delete), leases, snapshots, events,
// deadlines, cancellation, the three completion styles, and typed errors.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "containerd/support.hpp"

using namespace berth;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;

TEST_CASE("version and introspection") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto v = c.run(op::version{});
  CHECK(!v.version.empty());
  CHECK(!v.revision.empty());
  auto plugins = c.run(op::plugin_list{.filters = {"type==io.containerd.snapshotter.v1"}});
  bool overlay = false;
  for (const auto& p : plugins) {
    CHECK(p.type == "io.containerd.snapshotter.v1");
    if (p.id == "overlayfs") overlay = !p.init_error;
  }
  CHECK(overlay);
  auto runtimes = c.run(op::plugin_list{.filters = {"type==io.containerd.runtime.v2"}});
  CHECK(!runtimes.empty());
}

TEST_CASE("namespaces: create, list with labels, typed errors, delete") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto list = c.run(op::namespace_list{});
  bool found = false;
  for (const auto& n : list)
    if (n.name == ns.name()) found = n.labels.count("berth.test") == 1;
  CHECK(found);
  std::error_code ec;
  berth::diagnostics diag;
  c.run(op::namespace_create{.name = ns.name()}, ec, {.diag = &diag});
  CHECK(ctrd::is_already_exists(ec));
  CHECK(diag.status == 6);
  CHECK(!diag.message.empty());
  c.run(op::namespace_delete{.name = ns.name() + "-missing"}, ec);
  CHECK(ctrd::is_not_found(ec));
  CHECK_THROWS_AS(c.run(op::container_get{.id = "nope"}), berth::error);
}

TEST_CASE("the namespace travels as metadata on every call, and namespaces isolate") {
  test::scoped_namespace a;
  test::scoped_namespace b;
  std::string data = "namespaced blob";
  auto leased = a.client().with_lease(a.client().run(op::lease_create{.id = "ns-test"}).id);
  auto digest_of = [&] {
    std::error_code ec;
    auto w = leased.open_writer("ns-ref", 0, {}, ec);
    REQUIRE(!ec);
    w.write(asio::buffer(data), ec);
    REQUIRE(!ec);
    return w.commit(static_cast<std::int64_t>(data.size()), {}, {}, ec);
  };
  auto digest = digest_of();
  CHECK(a.client().run(op::content_info_get{.digest = digest}).size == static_cast<std::int64_t>(data.size()));
  std::error_code ec;
  b.client().run(op::content_info_get{.digest = digest}, ec);
  CHECK(ctrd::is_not_found(ec));
  // Without any namespace containerd refuses namespaced calls.
  auto none = a.client().with_namespace("");
  none.run(op::container_list{}, ec);
  CHECK(ctrd::is_failed_precondition(ec));
}

TEST_CASE("content: resumable write, status, read back, delete") {
  test::scoped_namespace ns;
  // Unreferenced content is garbage-collected at any time: work under a lease.
  auto c = ns.client().with_lease(ns.client().run(op::lease_create{.id = "content-test"}).id);
  std::string part1(300 * 1024, 'a'), part2(200 * 1024, 'b');
  std::string all = part1 + part2;
  std::error_code ec;
  {
    auto w = c.open_writer("resume-ref", static_cast<std::int64_t>(all.size()), {}, ec);
    REQUIRE(!ec);
    CHECK(w.status().offset == 0);
    CHECK(w.write(asio::buffer(part1), ec) == part1.size());
    REQUIRE(!ec);
    w.close();  // abandon the stream: the write stays resumable
  }
  auto st = c.run(op::content_status{.ref = "resume-ref"});
  CHECK(st.offset == static_cast<std::int64_t>(part1.size()));
  auto statuses = c.run(op::content_list_statuses{});
  CHECK(statuses.size() == 1);
  auto w = c.open_writer("resume-ref", static_cast<std::int64_t>(all.size()), {}, ec);
  REQUIRE(!ec);
  CHECK(w.status().offset == static_cast<std::int64_t>(part1.size()));
  w.write(asio::buffer(part2), ec);
  REQUIRE(!ec);
  // A wrong digest is refused at commit.
  {
    auto w2 = c.open_writer("bad-ref", 3, {}, ec);
    REQUIRE(!ec);
    w2.write(asio::buffer("xyz", 3), ec);
    w2.commit(3, "sha256:0000000000000000000000000000000000000000000000000000000000000000", {}, ec);
    CHECK(ec);
    std::error_code e2;
    c.run(op::content_abort{.ref = "bad-ref"}, e2);
  }
  auto digest = w.commit(static_cast<std::int64_t>(all.size()), {}, {{"berth.test", "yes"}}, ec);
  REQUIRE(!ec);
  CHECK(digest.rfind("sha256:", 0) == 0);
  auto info = c.run(op::content_info_get{.digest = digest});
  CHECK(info.size == static_cast<std::int64_t>(all.size()));
  CHECK(info.labels.at("berth.test") == "yes");
  auto listed = c.run(op::content_list{.filters = {"labels.\"berth.test\"==yes"}});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == digest);

  auto r = c.read_content(digest, ec);
  REQUIRE(!ec);
  auto back = r.read_all(1 << 20, ec);
  REQUIRE(!ec);
  CHECK(back == all);
  auto part = c.read_content(digest, ec, 300 * 1024 - 2, 4);
  REQUIRE(!ec);
  CHECK(part.read_all(100, ec) == "aabb");

  c.run(op::content_delete{.digest = digest});
  c.run(op::content_info_get{.digest = digest}, ec);
  CHECK(ctrd::is_not_found(ec));
}

TEST_CASE("leases: content under a lease, lease listing and deletion") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto l = c.run(op::lease_create{.id = "berth-lease", .labels = {{"k", "v"}}});
  CHECK(l.id == "berth-lease");
  auto leased = c.with_lease(l.id);
  std::error_code ec;
  auto w = leased.open_writer("leased", 0, {}, ec);
  REQUIRE(!ec);
  w.write(asio::buffer("leased data", 11), ec);
  auto digest = w.commit(11, {}, {}, ec);
  REQUIRE(!ec);
  auto leases = c.run(op::lease_list{});
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].labels.at("k") == "v");
  // Deleting the lease (synchronously) collects the unreferenced blob.
  c.run(op::lease_delete{.id = l.id, .sync = true});
  c.run(op::content_info_get{.digest = digest}, ec);
  CHECK(ctrd::is_not_found(ec));
}

TEST_CASE("snapshots: prepare, mounts, commit, view, stat, list, remove") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto mounts = c.run(op::snapshot_prepare{.key = "active-1", .labels = {{"x", "1"}}});
  REQUIRE(!mounts.empty());
  CHECK(!mounts[0].type.empty());
  CHECK(c.run(op::snapshot_mounts{.key = "active-1"}).size() == mounts.size());
  CHECK(c.run(op::snapshot_stat{.key = "active-1"}).kind == ctrd::snapshot_kind::active);
  c.run(op::snapshot_commit{.name = "committed-1", .key = "active-1"});
  auto info = c.run(op::snapshot_stat{.key = "committed-1"});
  CHECK(info.kind == ctrd::snapshot_kind::committed);
  auto view = c.run(op::snapshot_view{.key = "view-1", .parent = "committed-1"});
  CHECK(!view.empty());
  auto list = c.run(op::snapshot_list{});
  CHECK(list.size() == 2);
  std::error_code ec;
  c.run(op::snapshot_remove{.key = "committed-1"}, ec);
  CHECK(ec);  // it has a child
  c.run(op::snapshot_remove{.key = "view-1"});
  c.run(op::snapshot_remove{.key = "committed-1"});
  c.run(op::snapshot_stat{.key = "committed-1"}, ec);
  CHECK(ctrd::is_not_found(ec));
}

TEST_CASE("completion tokens: callback, use_future, use_awaitable; results on the caller's executor") {
  test::scoped_namespace ns;
  asio::io_context ioc;
  ctrd::client c(ioc.get_executor(), test::ctrd_options(ns.name()));
  std::thread::id cb_thread;
  ctrd::version_info from_cb;
  c.async_run(op::version{}, [&](std::error_code ec, ctrd::version_info v) {
    CHECK(!ec);
    cb_thread = std::this_thread::get_id();
    from_cb = v;
  });
  std::string from_coro;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto v = co_await c.async_run(op::version{}, asio::use_awaitable);
        from_coro = v.version;
        // Named arguments: GCC 12 may destroy class-type temporaries of a co_await
        // full-expression twice.
        op::container_get missing{.id = "missing"};
        auto token = asio::experimental::as_tuple(asio::use_awaitable);
        auto [ec, k] = co_await c.async_run(missing, token);
        CHECK(ctrd::is_not_found(ec));
        CHECK(k.id.empty());
      },
      asio::detached);
  ioc.run();
  CHECK(cb_thread == std::this_thread::get_id());
  CHECK(!from_cb.version.empty());
  CHECK(from_coro == from_cb.version);

  asio::io_context ioc2;
  auto work = asio::make_work_guard(ioc2);
  std::thread runner([&] { ioc2.run(); });
  ctrd::client c2(ioc2.get_executor(), test::ctrd_options(ns.name()));
  auto fut = c2.async_run(op::namespace_list{}, asio::use_future);
  CHECK(!fut.get().empty());
  work.reset();
  runner.join();
}

TEST_CASE("deadlines and cancellation reach the gRPC call") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  // Wait on a task that does not exist fails at once; to block, wait on an event stream.
  std::error_code ec;
  auto events = c.subscribe({"topic==\"/nothing/here\""}, ec);
  REQUIRE(!ec);
  asio::io_context ioc;
  ctrd::client ac(ioc.get_executor(), test::ctrd_options(ns.name()));
  auto sub = ac.async_subscribe({"topic==\"/nothing/here\""}, false, asio::use_future);
  ioc.run();
  auto stream = sub.get();
  asio::cancellation_signal sig;
  std::error_code next_ec;
  bool done = false;
  stream.async_next(asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, ctrd::event) {
    next_ec = e;
    done = true;
  }));
  asio::steady_timer t(ioc, std::chrono::milliseconds(200));
  t.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
  ioc.restart();
  ioc.run();
  CHECK(done);
  CHECK(berth::is_cancelled(next_ec));

  // A unary call with a deadline too short to be met: berth::errc::timeout.
  auto t0 = std::chrono::steady_clock::now();
  c.run(op::snapshot_list{}, ec, {.timeouts = {.total = std::chrono::milliseconds(1)}});
  // (It may also succeed on a very fast machine; when it fails, it is a timeout.)
  if (ec) CHECK(berth::is_timeout(ec));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  events.close();
}

TEST_CASE("events: subscription scoped to the namespace, decoded") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  std::error_code ec;
  auto events = c.subscribe({"topic~=\"/namespaces/\"", "topic==\"/snapshot/prepare\""}, ec);
  REQUIRE(!ec);
  // The subscription is registered asynchronously on the server.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.run(op::snapshot_prepare{.key = "evt"});
  auto e = events.next(ec);
  REQUIRE(!ec);
  CHECK(e.topic == "/snapshot/prepare");
  CHECK(e.namespace_ == ns.name());
  CHECK(e.payload.type_url == "containerd.events.SnapshotPrepare");
  c.run(op::snapshot_remove{.key = "evt"});
}

TEST_CASE("unavailable daemon fails typed") {
  auto o = test::ctrd_options("default");
  o.address = "/nonexistent/berth.sock";
  ctrd::client c(o);
  std::error_code ec;
  c.run(op::version{}, ec, {.timeouts = {.total = std::chrono::seconds(2)}});
  CHECK(ec);
  CHECK((ctrd::is_unavailable(ec) || berth::is_timeout(ec)));
}
